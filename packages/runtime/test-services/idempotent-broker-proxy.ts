/**
 * A test-only proxy in front of one broker of the mock cluster that does what the mock
 * does not (librdkafka 2.0's mock takes every batch, whatever its sequence): a broker's
 * idempotence checks. Per producer id and partition it keeps the epoch, the next
 * sequence and the last 5 batches, and answers Produce v3 batches itself with
 * DUPLICATE_SEQUENCE_NUMBER, OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_PRODUCER_EPOCH;
 * the others go on to the broker. Metadata answers name the proxy instead of the broker.
 * It can also drop the connection once the broker has answered a Produce request, before
 * the answer reaches the client (written, but the client cannot know). No test-framework
 * dependency.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ByteReader } from '../src/connectors/kafka/wire/byte-reader';
import { decodeProduceResponse } from '../src/connectors/kafka/wire/produce-request';

const OUT_OF_ORDER = 45;
const DUPLICATE = 46;
const INVALID_EPOCH = 47;
/** Batches a broker remembers per producer and partition. */
const REMEMBERED = 5;

export interface IdempotentBrokerProxy {
  /** `host:port` to bootstrap from. */
  readonly address: string;
  /** Batch outcomes so far (records written counts records passed on to the broker). */
  readonly stats: {
    written: number;
    duplicates: number;
    outOfOrder: number;
    fenced: number;
    dropped: number;
  };
  /** The next Produce answer from the broker is not passed on: the client's connection closes. */
  dropNextProduceAnswer(): void;
  close(): Promise<void>;
}

interface PartitionState {
  epoch: number;
  next: number;
  recent: number[];
}

interface Batch {
  readonly partition: number;
  readonly bytes: Buffer;
}

export async function startIdempotentBrokerProxy(broker: string): Promise<IdempotentBrokerProxy> {
  const [host, port] = broker.split(':');
  const states = new Map<string, PartitionState>();
  const stats = { written: 0, duplicates: 0, outOfOrder: 0, fenced: 0, dropped: 0 };
  let dropNext = false;
  const sockets = new Set<Socket>();
  let proxyPort = 0;

  /** The error a broker answers for this batch, or 0 after taking it into its state. */
  const check = (topic: string, batch: Batch): number => {
    const b = batch.bytes;
    const producerId = Number(b.readBigInt64BE(43));
    const epoch = b.readInt16BE(51);
    const sequence = b.readInt32BE(53);
    const count = b.readInt32BE(57);
    if (producerId < 0) return 0;
    const key = `${producerId}|${topic}|${batch.partition}`;
    const state = states.get(key);
    if (!state || epoch > state.epoch) {
      if (sequence !== 0) return OUT_OF_ORDER;
      states.set(key, { epoch, next: count, recent: [0] });
      return 0;
    }
    if (epoch < state.epoch) return INVALID_EPOCH;
    if (state.recent.includes(sequence)) return DUPLICATE;
    if (sequence !== state.next) return OUT_OF_ORDER;
    state.next = sequence + count;
    state.recent = [...state.recent, sequence].slice(-REMEMBERED);
    return 0;
  };

  const serve = (client: Socket) => {
    sockets.add(client);
    const upstream = connect({ host, port: Number(port) });
    sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
    /** Answers held back per correlation id: what to add to (or do with) the broker's. */
    const pending = new Map<
      number,
      { apiKey: number; topic?: string; refused?: Array<[number, number]>; local?: boolean }
    >();

    frames(client, (frame) => {
      const apiKey = frame.readInt16BE(0);
      const version = frame.readInt16BE(2);
      const correlationId = frame.readInt32BE(4);
      if (apiKey !== 0 || version !== 3) {
        pending.set(correlationId, { apiKey });
        upstream.write(sized(frame));
        return;
      }
      const { prefixEnd, topic, batches } = parseProduce(frame);
      const refused: Array<[number, number]> = [];
      const accepted: Batch[] = [];
      for (const batch of batches) {
        const code = check(topic, batch);
        if (code === 0) {
          accepted.push(batch);
          stats.written += batch.bytes.readInt32BE(57);
        } else {
          refused.push([batch.partition, code]);
          if (code === DUPLICATE) stats.duplicates++;
          else if (code === OUT_OF_ORDER) stats.outOfOrder++;
          else stats.fenced++;
        }
      }
      if (accepted.length === 0) {
        client.write(produceAnswer(correlationId, topic, refused));
        return;
      }
      pending.set(correlationId, { apiKey, topic, refused });
      upstream.write(sized(produceRequest(frame.subarray(0, prefixEnd), topic, accepted)));
    });

    frames(upstream, (frame) => {
      const correlationId = frame.readInt32BE(0);
      const held = pending.get(correlationId);
      pending.delete(correlationId);
      if (held?.apiKey === 3) {
        client.write(sized(withPort(frame, Number(port), proxyPort)));
      } else if (held?.apiKey === 0 && held.topic !== undefined) {
        if (dropNext) {
          dropNext = false;
          stats.dropped++;
          close();
          return;
        }
        const answered = decodeProduceResponse(new ByteReader(frame.subarray(4))).map(
          (r): [number, number] => [r.partition, r.errorCode],
        );
        client.write(
          produceAnswer(correlationId, held.topic, [...answered, ...(held.refused ?? [])]),
        );
      } else {
        client.write(sized(frame));
      }
    });
  };

  const server: Server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxyPort = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${proxyPort}`,
    stats,
    dropNextProduceAnswer: () => {
      dropNext = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Calls `onFrame` with each size-prefixed frame (without its size) read from `socket`. */
function frames(socket: Socket, onFrame: (frame: Buffer) => void): void {
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    while (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
      const size = received.readInt32BE(0);
      onFrame(Buffer.from(received.subarray(4, 4 + size)));
      received = received.subarray(4 + size);
    }
  });
}

function sized(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
}

/** A one-topic Produce v3 request: where its topics start, the topic and its batches. */
function parseProduce(frame: Buffer): { prefixEnd: number; topic: string; batches: Batch[] } {
  let at = 8;
  const clientIdLength = frame.readInt16BE(at);
  at += 2 + Math.max(clientIdLength, 0);
  const transactionalIdLength = frame.readInt16BE(at);
  at += 2 + Math.max(transactionalIdLength, 0) + 2 + 4; // acks, timeout
  const prefixEnd = at;
  if (frame.readInt32BE(at) !== 1) throw new Error('the proxy takes one topic per Produce request');
  at += 4;
  const topicLength = frame.readInt16BE(at);
  const topic = frame.toString('utf8', at + 2, at + 2 + topicLength);
  at += 2 + topicLength;
  const count = frame.readInt32BE(at);
  at += 4;
  const batches: Batch[] = [];
  for (let i = 0; i < count; i++) {
    const partition = frame.readInt32BE(at);
    const size = frame.readInt32BE(at + 4);
    batches.push({ partition, bytes: frame.subarray(at + 8, at + 8 + size) });
    at += 8 + size;
  }
  return { prefixEnd, topic, batches };
}

function produceRequest(prefix: Buffer, topic: string, batches: readonly Batch[]): Buffer {
  const head = Buffer.alloc(4 + 2);
  head.writeInt32BE(1, 0);
  head.writeInt16BE(Buffer.byteLength(topic), 4);
  const count = Buffer.alloc(4);
  count.writeInt32BE(batches.length);
  const parts = batches.flatMap((b) => {
    const fields = Buffer.alloc(8);
    fields.writeInt32BE(b.partition, 0);
    fields.writeInt32BE(b.bytes.length, 4);
    return [fields, b.bytes];
  });
  return Buffer.concat([prefix, head, Buffer.from(topic), count, ...parts]);
}

/** A Produce v3 answer: per partition its error code (offsets unknown: -1), no throttling. */
function produceAnswer(
  correlationId: number,
  topic: string,
  codes: Array<[number, number]>,
): Buffer {
  const topicBytes = Buffer.from(topic);
  const frame = Buffer.alloc(4 + 4 + 4 + 2 + topicBytes.length + 4 + codes.length * 22 + 4);
  let at = frame.writeInt32BE(frame.length - 4, 0);
  at = frame.writeInt32BE(correlationId, at);
  at = frame.writeInt32BE(1, at);
  at = frame.writeInt16BE(topicBytes.length, at);
  at += topicBytes.copy(frame, at);
  at = frame.writeInt32BE(codes.length, at);
  for (const [partition, code] of codes) {
    at = frame.writeInt32BE(partition, at);
    at = frame.writeInt16BE(code, at);
    at = frame.writeBigInt64BE(-1n, at);
    at = frame.writeBigInt64BE(-1n, at);
  }
  frame.writeInt32BE(0, at);
  return frame;
}

/** A Metadata answer naming the proxy's port where it names the broker's (host 127.0.0.1). */
function withPort(frame: Buffer, from: number, to: number): Buffer {
  const needle = Buffer.alloc(2 + 9 + 4);
  needle.writeInt16BE(9, 0);
  needle.write('127.0.0.1', 2);
  needle.writeInt32BE(from, 11);
  const out = Buffer.from(frame);
  for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + 1)) {
    out.writeInt32BE(to, at + 11);
  }
  return out;
}

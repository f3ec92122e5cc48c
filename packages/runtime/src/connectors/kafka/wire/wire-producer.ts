import type { Logger } from '../../../util/logger';
import type { BrokerProducer, OutgoingRecord, SendOptions } from '../broker-client';
import { compressionCodec, type CompressionCodec } from '../compression-codecs';
import type { KafkaSecurity } from '../kafka-security';
import { BrokerConnectionError } from './broker-connection';
import { BrokerPool } from './broker-pool';
import { errorName, isRetriable } from './error-codes';
import { Idempotence, idempotenceFrom } from './idempotence';
import { InFlightLimit } from './in-flight-limit';
import { partitionForKey } from './murmur2';
import {
  compressRecords,
  decodeProduceResponse,
  encodeProduceRequest,
  type PartitionBatch,
  type PartitionRecords,
} from './produce-request';
import { ProduceError } from './produce-error';

export { ProduceError } from './produce-error';

export interface WireProducerOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** Attempts after the first for retriable failures (default 8). */
  readonly retries?: number;
  /** First wait before a retry, doubling (default 200 ms). */
  readonly initialRetryMs?: number;
  /** How long a request may wait for its response (default 30 000 ms). */
  readonly requestTimeoutMs?: number;
  /** Records of one partition per request, by their bytes (default 900 000: under Kafka's 1 MB). */
  readonly maxBatchBytes?: number;
  /** Idempotent writes where the broker can (default: STREAM_GEN_KAFKA_IDEMPOTENCE, else on). */
  readonly idempotence?: boolean;
  /** TLS and SASL of the connections to the brokers (default: plaintext). */
  readonly security?: KafkaSecurity;
}

const LAST_RETRY_MS = 10_000;
/** Requests in flight to one broker when idempotent (Kafka's max.in.flight limit for it). */
const MAX_IN_FLIGHT_IDEMPOTENT = 5;

interface Attempt {
  /** Batches to send again, one list per partition, in order. */
  readonly failed: PartitionBatch[][];
  /** Why, per partition. */
  readonly reasons: Map<number, string>;
}

/**
 * A Kafka producer speaking the protocol itself (ApiVersions, Metadata v1–v4,
 * InitProducerId, Produce v3), one record batch per partition written straight into the
 * request buffer. It replaces a client library's per-record encoders, which cost more
 * than reading the records. `acks: -1` (all in-sync replicas); idempotent where the
 * broker can (see producer-sequences.ts), so a retry does not write a batch twice.
 */
export class WireProducer implements BrokerProducer {
  private readonly pool: BrokerPool;
  private readonly nextPartition = new Map<string, number>();
  private idempotenceState: Idempotence | undefined;
  private readonly inFlight = new InFlightLimit<number>(MAX_IN_FLIGHT_IDEMPOTENT);

  constructor(private readonly options: WireProducerOptions) {
    this.pool = new BrokerPool({
      brokers: options.brokers,
      clientId: options.clientId,
      requestTimeoutMs: this.requestTimeoutMs,
      security: options.security,
    });
  }

  /** Made on first use, beside the connection setup of the constructor. */
  private get idempotence(): Idempotence {
    return (this.idempotenceState ??= new Idempotence({
      enabled: this.options.idempotence ?? idempotenceFrom(process.env),
      clientId: this.options.clientId,
      logger: this.options.logger,
      requestTimeoutMs: this.requestTimeoutMs,
      connection: (nodeId) => this.pool.connection(nodeId),
    }));
  }

  private get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 30_000;
  }

  /** Fetches the cluster's brokers; fails when none of the bootstrap brokers answers. */
  async connect(): Promise<void> {
    await this.pool.refresh([]);
  }

  /**
   * Writes the records, compressed with `options.compression`. The batches are built
   * (and compressed) once, at most `maxBatchBytes` of records each: a retry sends the
   * same batches again.
   */
  async send(
    topic: string,
    records: readonly OutgoingRecord[],
    options: SendOptions = {},
  ): Promise<void> {
    if (records.length === 0) return;
    const codec = options.compression && compressionCodec(options.compression);
    const maxBatchBytes = this.options.maxBatchBytes ?? 900_000;
    const partitions = await this.byPartition(topic, records);
    let pending = await Promise.all(partitions.map((p) => batchesOf(p, maxBatchBytes, codec)));
    await this.retrying(
      async () => {
        const notReady = await this.idempotence.ready(this.leaders(topic));
        if (notReady) return { retry: `(${notReady})` };
        const { failed, reasons } = await this.sendOnce(topic, pending);
        if (failed.length === 0) return { done: undefined };
        pending = failed;
        const why = failed.map(([b]) => `${b.partition}: ${reasons.get(b.partition)}`).join('; ');
        return { retry: `partitions ${partitionList(failed)} (${why})` };
      },
      async (reason, waitMs) => {
        this.options.logger.debug(
          `produce to "${topic}" ${reason} failed; retrying in ${waitMs} ms`,
        );
        await sleep(waitMs);
        await this.pool.refresh([topic]).catch(() => undefined);
      },
      (reason, attempts) =>
        `could not write to topic "${topic}" ${reason} after ${attempts} attempts`,
    ).catch((error: unknown) => {
      this.idempotence.abandon();
      throw error;
    });
  }

  /** Brokers to ask for a producer id (any will do): the topic's leaders, which are known. */
  private leaders(topic: string): number[] {
    const partitions = this.pool.topic(topic)?.partitions ?? [];
    return [...new Set(partitions.map((m) => m.leader).filter((leader) => leader >= 0))];
  }

  async disconnect(): Promise<void> {
    await this.pool.close();
  }

  /** The topic's partition count, from metadata (retried while the topic is being created). */
  private partitionCount(topic: string, fresh = false): Promise<number> {
    return this.retrying<number>(
      async () => {
        try {
          if (fresh || !this.pool.topic(topic)) await this.pool.refresh([topic]);
        } catch (error) {
          if (!(error instanceof BrokerConnectionError)) throw error;
          return { retry: error.message };
        }
        const metadata = this.pool.topic(topic);
        const code = metadata?.errorCode ?? 3;
        if (metadata && code === 0 && metadata.partitions.length > 0) {
          return { done: metadata.partitions.length };
        }
        if (code !== 0 && !isRetriable(code)) {
          throw new ProduceError(`topic "${topic}": ${errorName(code)}`, false);
        }
        this.pool.forget(topic);
        return { retry: code === 0 ? 'no partitions yet' : errorName(code) };
      },
      (_reason, waitMs) => sleep(waitMs),
      (reason) => `no metadata for topic "${topic}": ${reason}`,
    );
  }

  /**
   * Runs `attempt` until it is done, `retries` times more at most, calling `wait` in
   * between (from `initialRetryMs`, doubling up to 10 s). Then, or once the producer is
   * disconnected, fails with a retriable ProduceError saying why.
   */
  private async retrying<T>(
    attempt: () => Promise<{ done: T } | { retry: string }>,
    wait: (reason: string, waitMs: number) => Promise<void>,
    failure: (reason: string, attempts: number) => string,
  ): Promise<T> {
    const retries = this.options.retries ?? 8;
    let waitMs = this.options.initialRetryMs ?? 200;
    for (let attempts = 1; ; attempts++) {
      if (this.pool.isClosed) throw new ProduceError('the producer is disconnected', false);
      const outcome = await attempt();
      if ('done' in outcome) return outcome.done;
      if (attempts > retries) throw new ProduceError(failure(outcome.retry, attempts), true);
      await wait(outcome.retry, waitMs);
      waitMs = Math.min(waitMs * 2, LAST_RETRY_MS);
    }
  }

  /**
   * Records grouped by partition, in their order: explicit, by key (murmur2), or round
   * robin over the partitions that have a leader. A partition beyond the topic's is
   * refused after a metadata refresh (the topic may have grown).
   */
  private async byPartition(
    topic: string,
    records: readonly OutgoingRecord[],
  ): Promise<PartitionRecords[]> {
    let partitions = await this.partitionCount(topic);
    for (const r of records) {
      const p = r.partition;
      if (p === undefined || (Number.isInteger(p) && p >= 0 && p < partitions)) continue;
      partitions = await this.partitionCount(topic, true);
      if (!Number.isInteger(p) || p < 0 || p >= partitions) {
        throw new ProduceError(
          `topic "${topic}" has partitions 0 to ${partitions - 1}; a record asks for ${p}`,
          false,
        );
      }
    }
    const led = (this.pool.topic(topic)?.partitions ?? [])
      .filter((m) => m.leader >= 0)
      .map((m) => m.partition);
    const roundRobin = led.length > 0 ? led : Array.from({ length: partitions }, (_, i) => i);
    let next = this.nextPartition.get(topic) ?? Math.floor(Math.random() * roundRobin.length);
    const groups = new Map<number, OutgoingRecord[]>();
    for (const r of records) {
      const partition =
        r.partition ??
        (r.key !== null
          ? partitionForKey(r.key, partitions)
          : roundRobin[next++ % roundRobin.length]);
      const group = groups.get(partition);
      if (group) group.push(r);
      else groups.set(partition, [r]);
    }
    this.nextPartition.set(topic, next % roundRobin.length);
    return [...groups].map(([partition, group]) => ({ partition, records: group }));
  }

  /**
   * One attempt: each leader gets the batches of its partitions, one batch per partition
   * per request, requests to one leader one after the other (so a partition's records
   * stay in order). A partition that fails is not sent further. Settles only when every
   * leader's requests have: a failure for good is thrown then.
   */
  private async sendOnce(
    topic: string,
    partitions: readonly (readonly PartitionBatch[])[],
  ): Promise<Attempt> {
    const failed = new Map<number, PartitionBatch[]>();
    const reasons = new Map<number, string>();
    const fail = (batch: PartitionBatch, why: string) => {
      const list = failed.get(batch.partition);
      if (list) list.push(batch);
      else failed.set(batch.partition, [batch]);
      if (!reasons.has(batch.partition)) reasons.set(batch.partition, why);
    };
    const byLeader = new Map<number, (readonly PartitionBatch[])[]>();
    const metadata = this.pool.topic(topic);
    for (const batches of partitions) {
      const partition = batches[0].partition;
      const leader = metadata?.partitions.find((m) => m.partition === partition)?.leader ?? -1;
      if (leader < 0 || !this.pool.knows(leader)) {
        for (const b of batches) fail(b, 'no leader');
        continue;
      }
      const list = byLeader.get(leader);
      if (list) list.push(batches);
      else byLeader.set(leader, [batches]);
    }
    const outcomes = await Promise.allSettled(
      [...byLeader].map(async ([leader, list]) => {
        for (let round = 0; ; round++) {
          const batch: PartitionBatch[] = [];
          for (const batches of list) {
            if (round >= batches.length) continue;
            if (failed.has(batches[round].partition)) fail(batches[round], '');
            else batch.push(batches[round]);
          }
          if (batch.length === 0) return;
          await this.produceRound(leader, topic, batch, fail);
        }
      }),
    );
    const broken = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (broken) throw broken.reason;
    return { failed: [...failed.values()], reasons };
  }

  /** One request to a leader; partitions it did not take are failed (retriable) or thrown. */
  private async produceRound(
    leader: number,
    topic: string,
    batch: readonly PartitionBatch[],
    fail: (batch: PartitionBatch, why: string) => void,
  ): Promise<void> {
    let results;
    const idempotence = this.idempotence;
    if (idempotence.on && !idempotence.sequences.current) {
      // reset by another request of this attempt: the next attempt asks for a new id
      for (const p of batch) fail(p, 'waiting for a new producer id');
      return;
    }
    const release = idempotence.on ? await this.inFlight.acquire(leader) : undefined;
    // sequenced as the request is written (retries keep theirs); failed as sent
    let sent = batch;
    try {
      const connection = await this.pool.connection(leader);
      const timeoutMs = this.requestTimeoutMs;
      results = await connection.request(
        (id) => {
          if (idempotence.on) sent = batch.map((b) => idempotence.sequences.sequenced(topic, b));
          return encodeProduceRequest(id, this.options.clientId, -1, timeoutMs, [
            { topic, partitions: sent },
          ]);
        },
        decodeProduceResponse,
        timeoutMs + 5_000,
      );
    } catch (error) {
      if (!(error instanceof BrokerConnectionError)) throw error;
      for (const p of sent) fail(p, error.message);
      return;
    } finally {
      release?.();
    }
    const answered = new Map(results.map((r) => [r.partition, r.errorCode]));
    let refused: ProduceError | undefined;
    for (const p of sent) {
      const code = answered.get(p.partition);
      if (code === 0 || (code !== undefined && idempotence.written(code, p))) continue;
      if (code !== undefined && idempotence.resets(code, topic, p)) {
        fail(p, `producer id reset (error code ${code})`);
      } else if (code === undefined) {
        fail(p, "not in the broker's answer");
      } else if (isRetriable(code)) {
        fail(p, errorName(code));
      } else {
        refused ??= new ProduceError(
          `topic "${topic}" partition ${p.partition} refused ${p.records.length} ` +
            `records: ${errorName(code)}`,
          false,
        );
      }
    }
    if (refused) throw refused;
  }
}

/** A partition's records as batches of at most about `maxBytes` each, compressed with `codec`. */
async function batchesOf(
  p: PartitionRecords,
  maxBytes: number,
  codec: CompressionCodec | undefined,
): Promise<PartitionBatch[]> {
  const chunks = chunk(p, maxBytes);
  if (!codec) return chunks;
  return Promise.all(
    chunks.map(async (c) => ({ ...c, compressed: await compressRecords(c.records, codec) })),
  );
}

/** A partition's records in requests of at most about `maxBytes` (UTF-8 bytes of keys, values, headers). */
function chunk(p: PartitionRecords, maxBytes: number): PartitionRecords[] {
  let chars = 0;
  for (const r of p.records) chars += recordSize(r, (s) => s.length);
  // A UTF-16 code unit takes at most 3 bytes in UTF-8: most flushes need no counting.
  if (chars * 3 <= maxBytes) return [p];
  const chunks: PartitionRecords[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < p.records.length; i++) {
    const size = recordSize(p.records[i], Buffer.byteLength);
    if (i > start && bytes + size > maxBytes) {
      chunks.push({ partition: p.partition, records: p.records.slice(start, i) });
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  chunks.push({ partition: p.partition, records: p.records.slice(start) });
  return chunks;
}

/** Bytes of a record besides its strings: lengths, deltas, attributes (an upper bound). */
const RECORD_OVERHEAD = 24;
const HEADER_OVERHEAD = 10;

function recordSize(r: OutgoingRecord, size: (s: string) => number): number {
  let total = RECORD_OVERHEAD + size(r.value) + (r.key === null ? 0 : size(r.key));
  for (const name in r.headers) total += HEADER_OVERHEAD + size(name) + size(r.headers[name]);
  return total;
}

function partitionList(partitions: readonly (readonly PartitionBatch[])[]): string {
  return partitions.map(([b]) => b.partition).join(', ');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

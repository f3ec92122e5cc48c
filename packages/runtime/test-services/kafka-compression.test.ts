/**
 * Compressed record batches on the mock cluster (which stores batches as sent): the
 * runtime's producer writes each codec and the runtime's consumer (kafkajs with the
 * runtime's codecs) reads the records back exactly; kafkajs' own producer writes each
 * codec and the runtime's consumer reads it. The consumer's codec table is watched,
 * so a batch that arrived uncompressed fails the test.
 */
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import {
  KafkajsClient,
  WireProducer,
  type BrokerConsumer,
  type BrokerRecord,
  type Logger,
  type OutgoingRecord,
} from '../src';
import type { CompressionName } from '../src/connectors/kafka/compression-codecs';
import { kafkaClient } from './kafka-io';
import { clientSecurity } from './kafka-client-security';
import { fastConsumerConfig, testServices } from './services';

const services = testServices();
const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const open: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

const TYPES: Record<CompressionName, Exclude<CompressionTypes, CompressionTypes.None>> = {
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** Bytes the consumer decompressed, per codec: in (compressed) and out. */
const decompressed = new Map<CompressionName, { calls: number; in: number; out: number }>();

/** Wraps the codec table the runtime filled (importing it registers its codecs). */
beforeAll(() => {
  for (const [name, type] of Object.entries(TYPES) as [CompressionName, typeof TYPES.gzip][]) {
    const registered = CompressionCodecs[type];
    expect(() => registered()).not.toThrow(); // kafkajs' own table throws "not implemented"
    CompressionCodecs[type] = () => {
      const codec = registered();
      return {
        compress: codec.compress,
        decompress: async (data: Buffer) => {
          const out: Buffer = await codec.decompress(data);
          const seen = decompressed.get(name) ?? { calls: 0, in: 0, out: 0 };
          decompressed.set(name, {
            calls: seen.calls + 1,
            in: seen.in + data.length,
            out: seen.out + out.length,
          });
          return out;
        },
      };
    };
  }
});

let topics = 0;
async function newTopic(partitions: number): Promise<string> {
  const topic = `compressed-${Date.now().toString(36)}-${topics++}`;
  await services.kafka.createTopic(topic, partitions);
  return topic;
}

function records(count: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, n) => ({
    key: n % 5 === 0 ? null : `customer-${n % 40}`,
    value: JSON.stringify({
      n,
      order: `order-${n}`,
      amount: (n * 37) % 1000,
      note: 'é€ repeated text',
    }),
    headers: { 'stream-gen-id': `compressed/${n}` },
    timestamp: 1_700_000_000_000 + n,
  }));
}

/** Reads `count` records of `topic` with the runtime's consumer (the job's reading path). */
async function readWithRuntime(topic: string, count: number): Promise<BrokerRecord[]> {
  const client = new KafkajsClient({
    brokers: services.kafkaBrokers,
    security: clientSecurity(services.kafkaBrokers),
    logger,
    sessionTimeoutMs: fastConsumerConfig.sessionTimeout,
    maxWaitTimeMs: 100,
  });
  const consumer: BrokerConsumer = await client.consumer(`${topic}-reader`);
  open.push(() => consumer.stop());
  const read: BrokerRecord[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${read.length} of ${count} read`)), 30_000);
    void consumer.run([topic], {
      onAssignment: async () => {},
      onError: reject,
      onBatch: async (_topic, _partition, batch) => {
        read.push(...batch);
        if (read.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  return read;
}

function asSent(r: BrokerRecord) {
  return {
    key: r.key,
    value: r.value?.toString('utf8'),
    id: r.headers['stream-gen-id'],
    timestamp: r.timestamp,
  };
}

const byId = (a: { id?: string }, b: { id?: string }) => (a.id ?? '').localeCompare(b.id ?? '');

describe.each(Object.keys(TYPES) as CompressionName[])('%s', (codec) => {
  test('the runtime producer writes compressed batches; the runtime consumer reads the records exactly', async () => {
    const topic = await newTopic(3);
    const producer = new WireProducer({
      brokers: services.kafkaBrokers,
      security: clientSecurity(services.kafkaBrokers),
      clientId: 'compression-test',
      logger,
      maxBatchBytes: 60_000,
    });
    await producer.connect();
    open.push(() => producer.disconnect());
    const sent = records(3_000);
    const before = decompressed.get(codec) ?? { calls: 0, in: 0, out: 0 };
    await producer.send(topic, sent.slice(0, 1_000), { compression: codec });
    await producer.send(topic, sent.slice(1_000), { compression: codec });

    const read = await readWithRuntime(topic, sent.length);
    expect(read.map(asSent).sort(byId)).toEqual(
      sent
        .map((r) => ({
          key: r.key,
          value: r.value,
          id: r.headers['stream-gen-id'],
          timestamp: r.timestamp,
        }))
        .sort(byId),
    );
    // the consumer decompressed batches of this codec, and they were much smaller than their records
    const after = decompressed.get(codec)!;
    expect(after.calls - before.calls).toBeGreaterThanOrEqual(3);
    expect((after.in - before.in) * 3).toBeLessThan(after.out - before.out);
  });

  test("kafkajs' own producer writes it; the runtime consumer reads it", async () => {
    const topic = await newTopic(2);
    const producer = kafkaClient(services.kafkaBrokers).producer();
    await producer.connect();
    open.push(() => producer.disconnect());
    const values = Array.from({ length: 500 }, (_, n) =>
      JSON.stringify({ n, text: 'same text again' }),
    );
    await producer.send({
      topic,
      acks: -1,
      compression: TYPES[codec],
      messages: values.map((value, n) => ({ key: `k${n % 7}`, value })),
    });
    const before = decompressed.get(codec)?.calls ?? 0;
    const read = await readWithRuntime(topic, values.length);
    expect(read.map((r) => r.value?.toString('utf8')).sort()).toEqual([...values].sort());
    expect(decompressed.get(codec)!.calls).toBeGreaterThan(before);
  });
});

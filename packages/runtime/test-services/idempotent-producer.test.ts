/**
 * The idempotent producer on a mock broker of its own, behind a proxy that checks
 * sequences as a Kafka broker does (the mock takes any batch): a batch written whose
 * answer was lost is sent again with its sequence and written once; a gap in the
 * sequences (a test hook) makes the producer reset to a new id and every record still
 * arrives; without idempotence the same lost answer writes the batch twice.
 */
import { WireProducer, type Logger, type OutgoingRecord } from '../src';
import type { Idempotence } from '../src/connectors/kafka/wire/idempotence';
import { idempotenceFrom } from '../src/connectors/kafka/wire/idempotence';
import { startIdempotentBrokerProxy, type IdempotentBrokerProxy } from './idempotent-broker-proxy';
import { clientSecurity } from './kafka-client-security';
import { kafkaClient, TopicReader } from './kafka-io';
import { secureFrontFromEnv } from './kafka-test-security';
import { startKafkaMock, type KafkaService } from './services';

let kafka: KafkaService;
let proxy: IdempotentBrokerProxy;
/** The producer's brokers: the proxy, behind the secure proxy when the run is secured. */
let front: { brokers: string[]; close(): Promise<void> };
const open: Array<() => Promise<unknown>> = [];
const logs: string[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: (m) => logs.push(m),
  warn: (m) => logs.push(m),
  error: (m) => logs.push(m),
};

beforeAll(async () => {
  // the bare mock: the sequence-checking proxy reads the frames, so it sits behind the secure proxy
  kafka = await startKafkaMock({ brokers: 1, security: 'none' });
});

afterAll(async () => {
  await kafka.stop();
});

beforeEach(async () => {
  proxy = await startIdempotentBrokerProxy(kafka.brokers[0]);
  front = await secureFrontFromEnv([proxy.address]);
});

afterEach(async () => {
  for (const close of open.splice(0)) await close();
  await front.close();
  await proxy.close();
  logs.length = 0;
});

let topics = 0;
async function newTopic(): Promise<string> {
  const topic = `idempotent-${Date.now().toString(36)}-${topics++}`;
  await kafka.createTopic(topic, 2);
  return topic;
}

async function producer(idempotence?: boolean): Promise<WireProducer> {
  const p = new WireProducer({
    brokers: front.brokers,
    security: clientSecurity(front.brokers),
    clientId: 'idempotence-test',
    logger,
    idempotence,
    initialRetryMs: 50,
  });
  await p.connect();
  open.push(() => p.disconnect());
  return p;
}

function records(count: number, from = 0): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `key-${(from + i) % 9}`,
    value: JSON.stringify({ n: from + i }),
    headers: { 'stream-gen-id': `idem/${from + i}` },
    timestamp: 1_700_000_000_000 + from + i,
  }));
}

/** Every record of the topic, read from the mock itself (not through the proxy). */
async function written(topic: string, atLeast: number): Promise<number[]> {
  const reader = await TopicReader.start(kafkaClient(kafka.brokers), [topic]);
  open.push(() => reader.close());
  await reader.waitFor((r) => r.length >= atLeast, 30_000);
  await new Promise((r) => setTimeout(r, 1_000)); // nothing more arrives
  return reader.records.map((r) => (r.value as { n: number }).n).sort((a, b) => a - b);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('a batch written whose answer was lost is sent again with its sequence and written once', async () => {
  const topic = await newTopic();
  const p = await producer();
  await p.send(topic, records(50));
  proxy.dropNextProduceAnswer();
  await p.send(topic, records(150, 50));
  expect(proxy.stats.dropped).toBe(1); // the fault happened: written, the answer lost
  expect(proxy.stats.duplicates).toBeGreaterThanOrEqual(1); // the retry was a duplicate
  expect(await written(topic, 200)).toEqual(range(200));
  expect(logs.join('\n')).toMatch(/Kafka producer: idempotent, producer id \d+ epoch \d+/);
});

test('without idempotence the same lost answer writes the batch twice', async () => {
  const topic = await newTopic();
  const p = await producer(false);
  proxy.dropNextProduceAnswer();
  await p.send(topic, records(100));
  expect(proxy.stats.dropped).toBe(1);
  const read = await written(topic, 101);
  expect(read.length).toBeGreaterThan(100);
  expect(new Set(read)).toEqual(new Set(range(100)));
  expect(logs.join('\n')).toMatch(
    /not idempotent \(STREAM_GEN_KAFKA_IDEMPOTENCE=false\); a retry may write records twice/,
  );
});

test('a sequence gap: OUT_OF_ORDER_SEQUENCE_NUMBER, a reset to a new producer id, every record written once', async () => {
  const topic = await newTopic();
  const p = await producer();
  await p.send(topic, records(60));
  const sequences = (p as unknown as { idempotence: Idempotence }).idempotence.sequences;
  const before = sequences.current;
  for (const partition of [0, 1]) sequences.skip(topic, partition, 3); // as if a batch went missing
  await p.send(topic, records(60, 60));
  expect(proxy.stats.outOfOrder).toBeGreaterThanOrEqual(1);
  expect(sequences.current?.producerId).not.toBe(before?.producerId);
  expect(logs.join('\n')).toMatch(
    /OUT_OF_ORDER_SEQUENCE_NUMBER .* on topic "idempotent-[^"]+" partition \d; resetting: a new producer id/,
  );
  expect(await written(topic, 120)).toEqual(range(120));
});

test('STREAM_GEN_KAFKA_IDEMPOTENCE: on unless false; anything else refused naming it', () => {
  expect(idempotenceFrom({})).toBe(true);
  expect(idempotenceFrom({ STREAM_GEN_KAFKA_IDEMPOTENCE: 'false' })).toBe(false);
  expect(idempotenceFrom({ STREAM_GEN_KAFKA_IDEMPOTENCE: 'TRUE' })).toBe(true);
  expect(() => idempotenceFrom({ STREAM_GEN_KAFKA_IDEMPOTENCE: 'maybe' })).toThrow(
    'STREAM_GEN_KAFKA_IDEMPOTENCE must be true or false, got "maybe"',
  );
});

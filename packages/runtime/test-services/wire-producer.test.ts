/**
 * The runtime's own Kafka producer against the mock cluster (its own, with 2 brokers,
 * so that taking a broker down disturbs no other test): what it writes is what kafkajs
 * reads, it retries through a broker outage and a leader move, and it says why when
 * it gives up.
 */
import { ProduceError, WireProducer, type Logger, type OutgoingRecord } from '../src';
import { clientSecurity } from './kafka-client-security';
import { kafkaClient, TopicReader } from './kafka-io';
import { startKafkaMock, type KafkaService } from './services';
import { partitionForKey } from '../src/connectors/kafka/wire/murmur2';

let kafka: KafkaService;
const open: Array<{ close(): unknown }> = [];
const logs: string[] = [];
const logger: Logger = {
  debug: (m) => logs.push(m),
  info: (m) => logs.push(m),
  warn: (m) => logs.push(m),
  error: (m) => logs.push(m),
};

beforeAll(async () => {
  kafka = await startKafkaMock({ brokers: 2 });
});

afterAll(async () => {
  await kafka.stop();
});

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
  logs.length = 0;
});

let topics = 0;
const topicName = () => `wire-${Date.now().toString(36)}-${topics++}`;

/** A new topic whose partition p is led by broker `leaders[p]`. */
async function topicLedBy(...leaders: number[]): Promise<string> {
  const topic = topicName();
  await kafka.createTopic(topic, leaders.length);
  for (const [partition, broker] of leaders.entries()) {
    await kafka.setPartitionLeader(topic, partition, broker);
  }
  return topic;
}

async function producer(options: Partial<ConstructorParameters<typeof WireProducer>[0]> = {}) {
  const p = new WireProducer({
    brokers: kafka.brokers,
    security: clientSecurity(kafka.brokers),
    clientId: 'wire-test',
    logger,
    ...options,
  });
  await p.connect();
  open.push({ close: () => p.disconnect() });
  return p;
}

async function readAll(topic: string, count: number) {
  const reader = await TopicReader.start(kafkaClient(kafka.brokers), [topic]);
  open.push(reader);
  await reader.waitFor((records) => records.length >= count, 30_000);
  await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
  return reader.records;
}

function records(count: number, from = 0): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: (from + i) % 4 === 0 ? null : `key-${(from + i) % 25}`,
    value: JSON.stringify({ n: from + i, text: 'é€' }),
    headers: { 'stream-gen-id': `test/${from + i}` },
    timestamp: 1_700_000_000_000 + (from + i) * 1000,
  }));
}

test('writes keyed, unkeyed and placed records to a topic it creates; kafkajs reads them as sent', async () => {
  const topic = topicName(); // not created: the broker creates it (4 partitions on the mock)
  const p = await producer();
  const sent = records(400);
  const placed = { key: 'key-1', value: '"placed"', headers: {}, timestamp: 5, partition: 2 };
  await p.send(topic, sent.slice(0, 150));
  await p.send(topic, [...sent.slice(150), placed]);
  const read = await readAll(topic, 401);
  expect(read).toHaveLength(401);
  const byId = new Map(read.map((r) => [r.headers['stream-gen-id'], r]));
  for (const r of sent) {
    const got = byId.get(r.headers['stream-gen-id']);
    expect(got).toMatchObject({ key: r.key, value: JSON.parse(r.value) });
    if (r.key !== null) expect(got?.partition).toBe(partitionForKey(r.key, 4));
  }
  expect(read.find((r) => r.value === 'placed')?.partition).toBe(2);
  // each partition holds its records in the order they were sent
  for (let partition = 0; partition < 4; partition++) {
    const ns = read
      .filter((r) => r.partition === partition && r.value !== 'placed')
      .map((r) => (r.value as { n: number }).n);
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
  }
});

test('splits a large flush into requests under the batch size, in order', async () => {
  const topic = topicName();
  await kafka.createTopic(topic, 1);
  const p = await producer({ maxBatchBytes: 2_000 });
  const sent = records(500).map((r) => ({ ...r, key: null, partition: 0 }));
  await p.send(topic, sent);
  const read = await readAll(topic, 500);
  expect(read.map((r) => (r.value as { n: number }).n)).toEqual(sent.map((_, i) => i));
});

test('a send retries while its leader is down and completes when it is back', async () => {
  const topic = await topicLedBy(2, 1);
  const p = await producer({ initialRetryMs: 100, retries: 20 });
  await p.send(
    topic,
    records(10).map((r) => ({ ...r, partition: 0 })),
  );
  await kafka.brokerDown(2);
  let sendingDone = false;
  try {
    const sending = p
      .send(
        topic,
        records(10, 10).map((r, i) => ({ ...r, partition: i % 2 })),
      )
      .finally(() => (sendingDone = true));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sendingDone).toBe(false);
    await kafka.brokerUp(2);
    await sending;
  } finally {
    await kafka.brokerUp(2);
  }
  const read = await readAll(topic, 20);
  const ns = read.map((r) => (r.value as { n: number }).n).sort((a, b) => a - b);
  // partition 1's half may have been written twice (not idempotent); none is missing
  expect([...new Set(ns)]).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(read.filter((r) => r.partition === 0)).toHaveLength(15);
  expect(logs.join('\n')).toMatch(/partitions 0 \(0: .+\) failed; retrying in 100 ms/);
}, 60_000);

test('follows a leader that moved to another broker', async () => {
  const topic = await topicLedBy(1);
  const p = await producer({ initialRetryMs: 50 });
  await p.send(
    topic,
    records(5).map((r) => ({ ...r, partition: 0 })),
  );
  await kafka.setPartitionLeader(topic, 0, 2);
  await p.send(
    topic,
    records(5, 5).map((r) => ({ ...r, partition: 0 })),
  );
  const read = await readAll(topic, 10);
  expect(read.map((r) => (r.value as { n: number }).n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('gives up after its retries with the topic, partitions and reason', async () => {
  const topic = await topicLedBy(2, 1);
  const p = await producer({ initialRetryMs: 50, retries: 2 });
  await kafka.brokerDown(2);
  try {
    await expect(
      p.send(
        topic,
        records(4).map((r, i) => ({ ...r, partition: i % 2 })),
      ),
    ).rejects.toMatchObject({
      name: 'ProduceError',
      retriable: true, // the runner's sink retry goes on trying
      message: expect.stringMatching(
        new RegExp(`could not write to topic "${topic}" partitions 0 \\(0: .+\\) after 3 attempts`),
      ),
    });
  } finally {
    await kafka.brokerUp(2);
  }
}, 30_000);

test('refuses a record placed on a partition the topic does not have', async () => {
  const topic = topicName();
  await kafka.createTopic(topic, 2);
  const p = await producer();
  const error = await p
    .send(topic, [{ key: null, value: '1', headers: {}, timestamp: 0, partition: 7 }])
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProduceError);
  expect(error).toMatchObject({ retriable: false }); // the runner fails at once
  expect(String(error)).toMatch(`topic "${topic}" has partitions 0 to 1; a record asks for 7`);
});

test('concurrent sends through an outage of their leader all complete, each record at least once', async () => {
  const topic = await topicLedBy(2, 2);
  const p = await producer({ initialRetryMs: 100, retries: 20 });
  await p.send(
    topic,
    records(2).map((r, i) => ({ ...r, partition: i })),
  );
  await kafka.brokerDown(2);
  let sends: Promise<void>[];
  try {
    sends = Array.from({ length: 12 }, (_, s) =>
      p.send(
        topic,
        records(10, 2 + s * 10).map((r, i) => ({ ...r, partition: i % 2 })),
      ),
    );
    await new Promise((r) => setTimeout(r, 700));
  } finally {
    await kafka.brokerUp(2);
  }
  await Promise.all(sends);
  const read = await readAll(topic, 122);
  const ns = new Set(read.map((r) => (r.value as { n: number }).n));
  expect([...ns].sort((a, b) => a - b)).toEqual(Array.from({ length: 122 }, (_, i) => i));
}, 60_000);

test('a send retrying when the producer disconnects fails at once and writes nothing after', async () => {
  const topic = await topicLedBy(2);
  const p = await producer({ initialRetryMs: 100, retries: 50 });
  await kafka.brokerDown(2);
  try {
    const sending = p.send(
      topic,
      records(3).map((r) => ({ ...r, partition: 0 })),
    );
    await new Promise((r) => setTimeout(r, 400));
    const t0 = Date.now();
    await p.disconnect();
    await expect(sending).rejects.toMatchObject({
      retriable: false,
      message: expect.stringMatching(/disconnected/),
    });
    expect(Date.now() - t0).toBeLessThan(3_000);
  } finally {
    await kafka.brokerUp(2);
  }
  await expect(p.send(topic, records(1))).rejects.toThrow(/disconnected/);
  await new Promise((r) => setTimeout(r, 1_500)); // a leftover retry would write by now
  const reader = await TopicReader.start(kafkaClient(kafka.brokers), [topic]);
  open.push(reader);
  await new Promise((r) => setTimeout(r, 3_000));
  expect(reader.records).toEqual([]);
}, 30_000);

test('connect fails clearly when no bootstrap broker answers', async () => {
  const p = new WireProducer({ brokers: ['127.0.0.1:1'], clientId: 'x', logger });
  await expect(p.connect()).rejects.toThrow(/127\.0\.0\.1:1: .*ECONNREFUSED/);
});

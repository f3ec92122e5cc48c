/**
 * Proves the integration-test services work: the redis-server and the mock
 * Kafka cluster started by global-setup.ts, reached through
 * STREAM_GEN_TEST_* (see testServices()).
 */
import Redis from 'ioredis';
import { Admin, Consumer, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { kafkajsSecurity } from './kafka-io';
import { fastConsumerConfig, testServices } from './services';

const services = testServices();
/** Tests that steer the broker (create topics, take brokers down) need the mock. */
const mockOnly = services.kafkaIsMock ? test : test.skip;
/**
 * Behind the secure proxy a down broker does not refuse the connection: the proxy accepts
 * it, then closes it during SASL, which kafkajs takes for an authentication failure and
 * does not retry. So the broker-down test runs on the bare mock only.
 */
const bareMockOnly = services.kafkaIsMock && !services.kafkaSecurity ? test : test.skip;

function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

// kafkajs clients of the current test, disconnected after it even when it fails
const clients: Array<Producer | Consumer | Admin> = [];
const kafkaLogs: string[] = [];

function kafka(retry?: {
  retries: number;
  initialRetryTime?: number;
  maxRetryTime?: number;
}): Kafka {
  return new Kafka({
    clientId: unique('sg-test'),
    brokers: services.kafkaBrokers,
    retry,
    logLevel: logLevel.WARN,
    ...kafkajsSecurity(services.kafkaSecurity),
    // keep kafkajs' logs (retries while a broker is down are expected) for failure messages only
    logCreator: () => (entry) => {
      kafkaLogs.push(`${entry.namespace} ${entry.log.message}`);
    },
  });
}

function use<T extends Producer | Consumer | Admin>(c: T): T {
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
  kafkaLogs.length = 0;
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${kafkaLogs.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('redis-server', () => {
  test('PING, SET, GET', async () => {
    const redis = new Redis(services.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      const key = unique('sg-test-key');
      expect(await redis.set(key, 'v1', 'PX', 60000)).toBe('OK');
      expect(await redis.get(key)).toBe('v1');
    } finally {
      redis.disconnect();
    }
  });
});

describe('mock Kafka cluster', () => {
  test('the control channel answers and reports errors', async () => {
    if (!services.kafkaIsMock) {
      await expect(services.kafka.createTopic(unique('t'), 1)).rejects.toThrow(/needs the mock/);
      return;
    }
    expect(await services.kafka.command('ping')).toBe('OK');
    expect(await services.kafka.command('no-such-command')).toMatch(/^ERR unknown command/);
    const topic = unique('sg-dup');
    await services.kafka.createTopic(topic, 2);
    await expect(services.kafka.createTopic(topic, 2)).rejects.toThrow(/TOPIC_ALREADY_EXISTS/);
    await expect(services.kafka.brokerDown(99)).rejects.toThrow(/BROKER_NOT_AVAILABLE/);
    await services.kafka.setBrokerRtt(1, 0);
    await services.kafka.setPartitionLeader(topic, 1, 1);
    await expect(services.kafka.createTopic('bad name', 1)).rejects.toThrow(/invalid Kafka name/);
  });

  mockOnly(
    'a 4-partition topic: produce 100 keyed, consume with a group, commit, resume',
    async () => {
      const topic = unique('sg-topic');
      const groupId = unique('sg-group');
      await services.kafka.createTopic(topic, 4);
      const k = kafka();

      const admin = use(k.admin());
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0].partitions).toHaveLength(4);

      const producer = use(k.producer({ createPartitioner: Partitioners.DefaultPartitioner }));
      await producer.connect();
      const sent = Array.from({ length: 100 }, (_, i) => ({
        key: `key-${i % 17}`,
        value: `value-${i}`,
      }));
      await producer.send({ topic, messages: sent.slice(0, 50) });
      await producer.send({ topic, messages: sent.slice(50) });

      // first consumer: everything, from the beginning (a new group's first join takes 3 s on the mock)
      const received: Array<{ partition: number; offset: string; key: string; value: string }> = [];
      const consumer = use(k.consumer({ groupId, ...fastConsumerConfig }));
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          received.push({
            partition,
            offset: message.offset,
            key: message.key!.toString(),
            value: message.value!.toString(),
          });
        },
      });
      await waitFor('100 messages', () => received.length >= 100);
      expect(received.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort());
      // the same key always lands on the same partition, and the keys spread over the partitions
      const partitionOfKey = new Map<string, number>();
      for (const m of received) {
        expect(partitionOfKey.get(m.key) ?? m.partition).toBe(m.partition);
        partitionOfKey.set(m.key, m.partition);
      }
      expect(new Set(received.map((m) => m.partition)).size).toBeGreaterThan(1);

      // commit: the next offset of each partition
      const next = new Map<number, bigint>();
      for (const m of received) {
        const o = BigInt(m.offset) + 1n;
        if (o > (next.get(m.partition) ?? 0n)) next.set(m.partition, o);
      }
      await consumer.commitOffsets(
        [...next].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })),
      );
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committedTotal = committed[0].partitions.reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset)),
        0,
      );
      expect(committedTotal).toBe(100);
      await consumer.disconnect();

      // second consumer of the same group: resumes at the committed offsets, nothing new
      // (its join waits sessionTimeout - 1 s on the mock after the first one left: see fastConsumerConfig)
      const again: string[] = [];
      let fetches = 0;
      let joined = false;
      const consumer2 = use(k.consumer({ groupId, ...fastConsumerConfig }));
      consumer2.on(consumer2.events.GROUP_JOIN, () => {
        joined = true;
      });
      consumer2.on(consumer2.events.FETCH, () => {
        if (joined) fetches++;
      });
      await consumer2.connect();
      await consumer2.subscribe({ topic, fromBeginning: true });
      await consumer2.run({
        eachMessage: async ({ message }) => {
          again.push(message.value!.toString());
        },
      });
      await waitFor('the second consumer to join and fetch', () => fetches >= 3);
      expect(again).toEqual([]);

      // ... and it does read what is produced after the commit
      await producer.send({ topic, messages: [{ key: 'key-late', value: 'late' }] });
      await waitFor('the message produced after the commit', () => again.length >= 1);
      expect(again).toEqual(['late']);
    },
  );

  bareMockOnly(
    'broker down: the producer fails while its leader is down, succeeds after up',
    async () => {
      const topic = unique('sg-fault');
      await services.kafka.createTopic(topic, 1);
      const leader = services.kafkaBrokers.length >= 2 ? 2 : 1;
      await services.kafka.setPartitionLeader(topic, 0, leader);

      // 5 retries from 100 ms up to 500 ms apart (randomised): gives up after about 1.5 s
      const k = kafka({ retries: 5, initialRetryTime: 100, maxRetryTime: 500 });
      const admin = use(k.admin());
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0].partitions[0].leader).toBe(leader);

      const producer = use(k.producer({ createPartitioner: Partitioners.DefaultPartitioner }));
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'before' }] });

      await services.kafka.brokerDown(leader);
      try {
        const t0 = Date.now();
        await expect(
          producer.send({ topic, messages: [{ key: 'k', value: 'while-down' }] }),
        ).rejects.toMatchObject({
          name: 'KafkaJSNumberOfRetriesExceeded',
          message: expect.stringMatching(/ECONNREFUSED/), // the mock closes a down broker's listener
        });
        expect(Date.now() - t0).toBeGreaterThan(500); // it retried before giving up

        // a send that is retrying when the broker comes back succeeds
        const sending = producer.send({ topic, messages: [{ key: 'k', value: 'after' }] });
        await new Promise((r) => setTimeout(r, 300));
        await services.kafka.brokerUp(leader);
        await expect(sending).resolves.toBeDefined();
      } finally {
        await services.kafka.brokerUp(leader);
      }

      // what the topic holds: 'before' and 'after' ('while-down' was never written)
      const values: string[] = [];
      const consumer = use(
        k.consumer({ groupId: unique('sg-fault-group'), ...fastConsumerConfig }),
      );
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
        },
      });
      await waitFor('the two written messages', () => values.length >= 2);
      expect(values).toEqual(['before', 'after']);
    },
  );
});

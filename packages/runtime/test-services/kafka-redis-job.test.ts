/**
 * The same keyed job on Kafka (librdkafka's mock cluster) and Redis: restarts,
 * two processes in one group, and partitions moving between them.
 */
import { Redis } from 'ioredis';
import {
  GroupJobRunner,
  KafkaSink,
  KafkajsClient,
  RedisStateBackend,
  silentLogger,
  consoleLogger,
  type BrokerProducer,
  type ElementContext,
  type JobSpec,
  type RuntimeContext,
  type ValueState,
} from '../src';
import { clientSecurity } from './kafka-client-security';
import { kafkaClient } from './kafka-io';
import { fastConsumerConfig, testServices } from './services';

const services = testServices();
jest.setTimeout(120_000);

interface Click {
  user: string;
  n: number;
  ts: number;
}

/** Emits the running count of each user: a double-applied or lost element shows in the counts. */
class RunningCount {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState<number>('count');
  }
  processElement(c: Click, ctx: ElementContext<{ user: string; count: number }>) {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ user: c.user, count });
  }
}

const unique = (p: string) => `${p}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;

function job(name: string, partitionedByKey = true): JobSpec {
  return {
    name,
    sources: [
      {
        name: 'clicks',
        eventTime: { timestamp: (c: Click) => c.ts, maxOutOfOrdernessMs: 1e12 },
        key: (c: Click) => c.user,
        partitionedByKey,
      },
    ],
    operator: { kind: 'process', name: 'count', input: 'clicks', create: () => new RunningCount() },
    outputs: { main: 'counts' },
  };
}

describe('a keyed job on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const redisClients: Redis[] = [];
  const runners: GroupJobRunner[] = [];
  const runs: Promise<unknown>[] = [];
  const producers: BrokerProducer[] = [];

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    // A runner that failed along the way (a rebalance, a fenced commit) fails the test.
    await Promise.all(runs.splice(0));
    await Promise.all(producers.splice(0).map((p) => p.disconnect()));
    await Promise.all(redisClients.splice(0).map((r) => r.quit()));
  });

  async function setup() {
    const name = unique('Counts').replace(/[^A-Za-z0-9_-]/g, '_');
    const topics = { sources: { clicks: unique('clicks') }, sinks: { counts: unique('counts') } };
    await services.kafka.createTopic(topics.sources.clicks, 4);
    await services.kafka.createTopic(topics.sinks.counts, 4);
    return { name, topics };
  }

  function startRunner(
    name: string,
    topics: { sources: Record<string, string>; sinks: Record<string, string> },
    partitionedByKey = true,
  ) {
    const client = new KafkajsClient({
      brokers: services.kafkaBrokers,
      security: clientSecurity(services.kafkaBrokers),
      logger: silentLogger,
      sessionTimeoutMs: fastConsumerConfig.sessionTimeout,
    });
    let producer: Promise<BrokerProducer> | undefined;
    const shared = () =>
      (producer ??= client.producer().then((p) => {
        producers.push(p);
        return p;
      }));
    const redis = new Redis(services.redisUrl);
    redisClients.push(redis);
    const runner = new GroupJobRunner({
      job: job(name, partitionedByKey),
      repartitionTopic: `${name}.repartition`,
      client,
      topics,
      sinks: { counts: new KafkaSink('counts', topics.sinks.counts, shared) },
      backend: new RedisStateBackend(redis),
      groupId: `group-${name}`,
      logger: process.env.DEBUG_KAFKA_JOB
        ? consoleLogger(`runner-${runners.length}`, 'debug')
        : silentLogger,
      checkpointIntervalMs: 100,
    });
    runners.push(runner);
    const done = runner.run();
    runs.push(done);
    return { runner, done };
  }

  async function produce(topic: string, clicks: Click[], keyOf = (c: Click) => c.user) {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: clicks.map((c) => ({ key: keyOf(c), value: JSON.stringify(c) })),
    });
    await producer.disconnect();
  }

  /** Reads the counts topic until every user reached its expected count; returns the highest count seen per user. */
  async function readCounts(
    topic: string,
    expected: Map<string, number>,
    tasksOfUser = new Map<string, Set<string>>(),
  ): Promise<Map<string, number>> {
    const consumer = kafka.consumer({ groupId: unique('reader'), ...fastConsumerConfig });
    const highest = new Map<string, number>();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const complete = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const { user, count } = JSON.parse(String(message.value)) as {
            user: string;
            count: number;
          };
          highest.set(user, Math.max(highest.get(user) ?? 0, count));
          // stream-gen-id is <job>/<task>/...: which task produced the record
          const task = String(message.headers?.['stream-gen-id']).split('/')[1];
          if (!tasksOfUser.has(user)) tasksOfUser.set(user, new Set());
          tasksOfUser.get(user)?.add(task);
          if ([...expected].every(([u, n]) => (highest.get(u) ?? 0) >= n)) resolve();
        },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 60_000)));
    await Promise.race([complete, timeout]);
    clearTimeout(timer);
    await new Promise((r) => setTimeout(r, 500)); // a moment for any over-count to show up
    await consumer.disconnect();
    return highest;
  }

  const clicks = (from: number, to: number): Click[] =>
    Array.from({ length: to - from }, (_, i) => ({
      user: `u${(from + i) % 12}`,
      n: from + i,
      ts: from + i,
    }));
  const expectedCounts = (n: number) => {
    const m = new Map<string, number>();
    for (const c of clicks(0, n)) m.set(c.user, (m.get(c.user) ?? 0) + 1);
    return m;
  };

  it('keeps state exactly once across a stop and restart', async () => {
    const { name, topics } = await setup();
    await produce(topics.sources.clicks, clicks(0, 120));
    const first = startRunner(name, topics);
    await readCounts(topics.sinks.counts, expectedCounts(120));
    await first.runner.stop();

    await produce(topics.sources.clicks, clicks(120, 240));
    startRunner(name, topics);
    const highest = await readCounts(topics.sinks.counts, expectedCounts(240));
    expect(highest).toEqual(expectedCounts(240));
  });

  it('splits partitions between two processes of one group, and moves them without loss or double counting', async () => {
    const { name, topics } = await setup();
    await produce(topics.sources.clicks, clicks(0, 200));
    const a = startRunner(name, topics);
    await readCounts(topics.sinks.counts, expectedCounts(200));
    const b = startRunner(name, topics); // rebalance: two of A's partitions move to B, restored from A's checkpoints
    await new Promise((r) => setTimeout(r, 8000));
    await produce(topics.sources.clicks, clicks(200, 400));
    const highest = await readCounts(topics.sinks.counts, expectedCounts(400));
    expect(highest).toEqual(expectedCounts(400));
    expect(a.runner.metrics.recordsIn).toBeGreaterThan(0);
    expect(b.runner.metrics.recordsIn).toBeGreaterThan(0);
  });

  it('re-keys a source that is not partitioned by the key: each key is processed by exactly one task', async () => {
    const { name, topics } = await setup();
    await services.kafka.createTopic(`${name}.repartition`, 4);
    // Keyed by the click number, not the user: a user's clicks are spread over all partitions.
    await produce(topics.sources.clicks, clicks(0, 240), (c) => `n${c.n}`);
    startRunner(name, topics, false);
    const tasksOfUser = new Map<string, Set<string>>();
    const highest = await readCounts(topics.sinks.counts, expectedCounts(240), tasksOfUser);
    expect(highest).toEqual(expectedCounts(240));
    for (const [user, tasks] of tasksOfUser) expect([user, tasks.size]).toEqual([user, 1]);
    expect(new Set([...tasksOfUser.values()].flatMap((t) => [...t])).size).toBeGreaterThan(1);
  });
});

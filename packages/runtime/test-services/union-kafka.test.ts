/**
 * A union of three topics on Kafka and Redis, as `launchJob` runs it from the
 * environment: the topics are not partitioned by the union's key, so they go through
 * the re-keying stage and `<job>.<operator>.repartition`; each user's clicks are counted
 * by one task, once.
 */
import {
  launchJob,
  silentLogger,
  type ElementContext,
  type JobSpec,
  type RuntimeContext,
  type ValueState,
} from '../src';
import { kafkaClient, produce, TopicReader } from './kafka-io';
import { testServices } from './services';

jest.setTimeout(120_000);
const services = testServices();
const DEVICES = ['web', 'app', 'tv'] as const;

interface Click {
  user: string;
  ts: number;
}

class CountAll {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState<number>('count');
  }
  processElement(c: Click, ctx: ElementContext<{ user: string; count: number; via: string }>) {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ user: c.user, count, via: ctx.input });
  }
}

const job: JobSpec = {
  name: 'AllClicks',
  sources: DEVICES.map((name) => ({
    name,
    key: (c: Click) => c.user,
    eventTime: { timestamp: (c: Click) => c.ts, maxOutOfOrdernessMs: 1e12 },
  })),
  operator: { kind: 'union', name: 'count', inputs: [...DEVICES], create: () => new CountAll() },
  outputs: { main: 'counts' },
};

it('counts each user once across three re-keyed topics', async () => {
  const ns = `union-${Date.now()}`;
  const topic = (name: string) => `${ns}.${name}`;
  for (const name of [...DEVICES, 'counts', 'AllClicks.count.repartition'])
    await services.kafka.createTopic(topic(name), 3);
  const kafka = kafkaClient(services.kafkaBrokers);
  const totals = new Map<string, number>();
  for (const [d, device] of DEVICES.entries()) {
    const clicks = Array.from({ length: 150 }, (_, i) => ({
      user: `u${(i * 5 + d) % 11}`,
      ts: 1_000 + i,
    }));
    for (const c of clicks) totals.set(c.user, (totals.get(c.user) ?? 0) + 1);
    // round robin over the partitions, whatever the user
    await produce(
      kafka,
      topic(device),
      clicks.map((c, i) => ({ value: c, partition: i % 3 })),
    );
  }
  const reader = await TopicReader.start(kafka, [topic('counts')]);
  const running = launchJob({
    job,
    sinks: ['counts'],
    env: {
      KAFKA_BROKERS: services.kafkaBrokers.join(','),
      REDIS_URL: services.redisUrl,
      STREAM_GEN_NAMESPACE: ns,
      STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
    },
    logger: silentLogger,
    checkpointIntervalMs: 200,
  });
  const run = running.run();
  try {
    await reader.waitFor(
      (r) => r.length >= 450,
      60_000,
      () => `${reader.records.length} of 450 counts`,
    );
    const byUser = new Map<string, number[]>();
    for (const { value } of reader.records) {
      const o = value as { user: string; count: number };
      byUser.set(o.user, [...(byUser.get(o.user) ?? []), o.count]);
    }
    for (const [user, counts] of byUser) {
      expect(counts.sort((a, b) => a - b)).toEqual(
        Array.from({ length: totals.get(user) ?? 0 }, (_, i) => i + 1),
      );
    }
    expect(new Set(reader.values<{ via: string }>(topic('counts')).map((v) => v.via))).toEqual(
      new Set(DEVICES),
    );
  } finally {
    await running.stop();
    await run;
    await reader.close();
  }
});

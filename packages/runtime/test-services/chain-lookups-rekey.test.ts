/**
 * A chain stage with a lookup table before a keyed operator, on Kafka and Redis, its
 * source not partitioned by the key: the key comes from the table (device -> user), so
 * the re-keying stage must load the table too before it keys anything. Each user is
 * then counted by the one task its key hashes to, once per click.
 */
import {
  HEADER_ID,
  launchJob,
  silentLogger,
  type ElementContext,
  type JobSpec,
  type RuntimeContext,
  type ValueState,
} from '../src';
import { kafkaSecurityEnv } from './job-env';
import { kafkaClient, produce, TopicReader } from './kafka-io';
import { testServices } from './services';

jest.setTimeout(120_000);
const services = testServices();

interface Click {
  device: string;
  ts: number;
}
interface OwnedClick extends Click {
  user: string;
}

const DEVICES = Array.from({ length: 12 }, (_, i) => `d${i}`);
/** Which user owns a device: what the table service serves. */
const OWNER = (device: string) => `u${Number(device.slice(1)) % 6}`;

class CountPerUser {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState<number>('count');
  }
  processElement(c: OwnedClick, ctx: ElementContext<{ user: string; count: number }>) {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ user: c.user, count });
  }
}

function job(service: { loads: number }): JobSpec {
  return {
    name: 'DeviceOwners',
    sources: [
      {
        name: 'clicks',
        key: (c: OwnedClick) => c.user,
        eventTime: { timestamp: (c: Click) => c.ts, maxOutOfOrdernessMs: 1e12 },
      },
    ],
    stages: [
      {
        kind: 'chain',
        id: 'owner',
        input: 'clicks',
        output: 'owned',
        create: () => {
          let owners: ReadonlyMap<string, string> | undefined;
          return {
            steps: [
              {
                kind: 'map',
                name: 'owner',
                fn: (c: Click) => {
                  const user = owners?.get(c.device);
                  if (user === undefined) throw new Error(`no owner for ${c.device}`);
                  return { ...c, user };
                },
              },
            ],
            lookups: [
              {
                name: 'owners',
                refreshMs: 100,
                load: async () => {
                  service.loads++;
                  owners = new Map(DEVICES.map((d) => [d, OWNER(d)]));
                },
              },
            ],
          };
        },
      },
    ],
    operator: {
      kind: 'process',
      name: 'count',
      input: 'owned',
      create: () => new CountPerUser(),
    },
    outputs: { main: 'counts', deadLetters: 'dead' },
  };
}

it('keys by what the lookup table gives, in the re-keying stage as in the tasks', async () => {
  const ns = `chain-lookups-${Date.now()}`;
  const topic = (name: string) => `${ns}.${name}`;
  for (const name of ['clicks', 'counts', 'dead', 'DeviceOwners.count.repartition'])
    await services.kafka.createTopic(topic(name), 3);
  const kafka = kafkaClient(services.kafkaBrokers);
  const clicks = Array.from({ length: 240 }, (_, i) => ({ device: DEVICES[i % 12], ts: 1000 + i }));
  // round robin over the partitions, whatever the device
  await produce(
    kafka,
    topic('clicks'),
    clicks.map((c, i) => ({ value: c, partition: i % 3 })),
  );
  const service = { loads: 0 };
  const reader = await TopicReader.start(kafka, [topic('counts'), topic('dead')]);
  const running = launchJob({
    job: job(service),
    sinks: ['counts', 'dead'],
    env: {
      KAFKA_BROKERS: services.kafkaBrokers.join(','),
      ...kafkaSecurityEnv(services.kafkaSecurity),
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
      (r) => r.length >= clicks.length,
      60_000,
      () => `${reader.records.length} of ${clicks.length} records`,
    );
    expect(reader.records.filter((r) => r.topic === topic('dead'))).toEqual([]);
    // every user counted once per click of its devices, by one task only
    const tasksOf = new Map<string, Set<string>>();
    const countsOf = new Map<string, number[]>();
    for (const r of reader.records) {
      const { user, count } = r.value as { user: string; count: number };
      const task = r.headers[HEADER_ID].split('/')[1];
      tasksOf.set(user, new Set([...(tasksOf.get(user) ?? []), task]));
      countsOf.set(user, [...(countsOf.get(user) ?? []), count]);
    }
    for (const [user, counts] of countsOf) {
      expect([user, counts.sort((a, b) => a - b)]).toEqual([
        user,
        Array.from({ length: 40 }, (_, i) => i + 1),
      ]);
      expect([user, tasksOf.get(user)?.size]).toEqual([user, 1]);
    }
    expect(countsOf.size).toBe(6);
    // keyed where the table says: a re-keying stage without its table would send every
    // click to partition 0 (a record it cannot key goes there), so one task would count all
    const tasks = new Set([...tasksOf.values()].flatMap((t) => [...t]));
    expect(tasks.size).toBeGreaterThan(1);
  } finally {
    await running.stop();
    await run;
    await reader.close();
  }
  // the re-keying stage's table and the tasks' were loaded, and refreshed while the job
  // ran; their refreshes stopped with it
  expect(service.loads).toBeGreaterThan(4);
  const loads = service.loads;
  await new Promise((r) => setTimeout(r, 400));
  expect(service.loads).toBe(loads);
});

/**
 * Pattern 8, rewind and restatement, on Kafka (librdkafka's mock cluster) and Redis:
 * a keyed job runs, a checkpoint is noted, a buggy version processes more input, the
 * job is stopped and rewound to the checkpoint, and the fixed version reprocesses the
 * input from there. Its final state and the results it emits again must equal those of
 * a clean run of the fixed version over the same input.
 */
import { Redis } from 'ioredis';
import {
  CheckpointAdmin,
  GroupJobRunner,
  KafkaSink,
  KafkajsClient,
  RedisStateBackend,
  silentLogger,
  type BrokerProducer,
  type ElementContext,
  type JobSpec,
  type RuntimeContext,
  type ValueState,
} from '../src';
import { taskKeys } from '../src/state/redis';
import { clientSecurity } from './kafka-client-security';
import { kafkaClient } from './kafka-io';
import { fastConsumerConfig, testServices } from './services';

const services = testServices();
jest.setTimeout(180_000);

interface Click {
  user: string;
  n: number;
  ts: number;
}

interface Total {
  user: string;
  total: number;
}

/** Sums n per user. The buggy version counts every click twice and keeps a debug state. */
class Totals {
  private total!: ValueState<number>;
  private debug: ValueState<number> | undefined;
  constructor(private readonly buggy: boolean) {}
  open(ctx: RuntimeContext) {
    this.total = ctx.valueState<number>('total');
    if (this.buggy) this.debug = ctx.valueState<number>('debug');
  }
  processElement(c: Click, ctx: ElementContext<Total>) {
    const add = this.buggy ? 2 * c.n : c.n;
    const total = (this.total.value() ?? 0) + add;
    this.total.update(total);
    this.debug?.update(add);
    ctx.emit({ user: c.user, total });
  }
}

const jobSpec = (name: string, buggy: boolean): JobSpec => ({
  name,
  sources: [
    {
      name: 'clicks',
      eventTime: { timestamp: (c: Click) => c.ts, maxOutOfOrdernessMs: 1_000 },
      key: (c: Click) => c.user,
      partitionedByKey: true,
    },
  ],
  operator: {
    kind: 'process',
    name: 'totals',
    input: 'clicks',
    create: () => new Totals(buggy),
  },
  outputs: { main: 'totals' },
});

const unique = (p: string) =>
  `${p}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
const PARTITIONS = 4;
const clicks = (from: number, to: number): Click[] =>
  Array.from({ length: to - from }, (_, i) => ({
    user: `u${(from + i) % 10}`,
    n: from + i,
    ts: 1_000 * (from + i),
  }));

interface Emitted {
  /** stream-gen-id without the job name: task / source@offset.index # seq */
  id: string;
  value: Total;
}

describe('rewind and restatement on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const redis = new Redis(services.redisUrl);
  const admin = new CheckpointAdmin(redis);
  const producers: BrokerProducer[] = [];

  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect()));
    await redis.quit();
  });

  async function produce(topic: string, records: Click[]) {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: records.map((c) => ({ key: c.user, value: JSON.stringify(c) })),
    });
    await producer.disconnect();
  }

  /**
   * Runs the job (one process of its group) until it has read `records` records, then
   * stops it: the stop takes a final checkpoint of every task. Checkpoints are otherwise
   * not due (a long interval), so every phase adds exactly one checkpoint per task.
   */
  /** One process of the job's group, reading `input` and writing `output`. */
  function startRunner(
    job: string,
    buggy: boolean,
    input: string,
    output: string,
    checkpointIntervalMs: number,
  ): GroupJobRunner {
    const client = new KafkajsClient({
      brokers: services.kafkaBrokers,
      security: clientSecurity(services.kafkaBrokers),
      logger: silentLogger,
      sessionTimeoutMs: fastConsumerConfig.sessionTimeout,
    });
    let producer: Promise<BrokerProducer> | undefined;
    const shared = () => (producer ??= client.producer().then((p) => (producers.push(p), p)));
    return new GroupJobRunner({
      job: jobSpec(job, buggy),
      client,
      topics: { sources: { clicks: input }, sinks: { totals: output } },
      sinks: { totals: new KafkaSink('totals', output, shared) },
      backend: new RedisStateBackend(redis),
      groupId: unique(`group-${job}`),
      logger: silentLogger,
      checkpointIntervalMs,
    });
  }

  async function runPhase(
    job: string,
    buggy: boolean,
    input: string,
    output: string,
    records: number,
  ) {
    const runner = startRunner(job, buggy, input, output, 600_000);
    const done = runner.run();
    const deadline = Date.now() + 60_000;
    while (runner.metrics.recordsIn < records && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await runner.stop();
    await done;
    expect(runner.metrics.recordsIn).toBe(records);
  }

  /** Every record of `topic`, in partition order; waits until there are `count`. */
  async function readAll(topic: string, count: number): Promise<Emitted[]> {
    const consumer = kafka.consumer({ groupId: unique('reader'), ...fastConsumerConfig });
    const byPartition = new Map<number, Array<{ offset: number; emitted: Emitted }>>();
    let seen = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let resolve!: () => void;
    const enough = new Promise<void>((r) => (resolve = r));
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const id = String(message.headers?.['stream-gen-id']);
        const emitted = {
          id: id.slice(id.indexOf('/') + 1),
          value: JSON.parse(String(message.value)) as Total,
        };
        if (!byPartition.has(partition)) byPartition.set(partition, []);
        byPartition.get(partition)?.push({ offset: Number(message.offset), emitted });
        if (++seen >= count) resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([enough, new Promise((r) => (timer = setTimeout(r, 60_000)))]);
    clearTimeout(timer);
    await new Promise((r) => setTimeout(r, 500)); // anything beyond `count` shows up too
    await consumer.disconnect();
    return [...byPartition.keys()]
      .sort((a, b) => a - b)
      .flatMap((p) =>
        (byPartition.get(p) ?? []).sort((a, b) => a.offset - b.offset).map((r) => r.emitted),
      );
  }

  /** The last value emitted per id: a restated result replaces the one with its id. */
  const lastById = (records: readonly Emitted[]) => new Map(records.map((r) => [r.id, r.value]));

  /** Every state hash of every task of the job, merged per state name. */
  async function stateOf(job: string): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = { total: {}, debug: {} };
    for (let task = 0; task < PARTITIONS; task++) {
      const keys = taskKeys('sg', { job, task: String(task) });
      for (const name of Object.keys(out))
        Object.assign(out[name], await redis.hgetall(keys.state(name)));
    }
    return out;
  }

  it('rewinds a stopped job to a noted checkpoint; the fixed version restates the results of a clean run', async () => {
    const input = unique('clicks');
    const restatedOut = unique('totals');
    const cleanOut = unique('clean-totals');
    for (const topic of [input, restatedOut, cleanOut])
      await services.kafka.createTopic(topic, PARTITIONS);
    const job = unique('Totals');
    const clean = unique('CleanTotals');

    // 1. the job runs over the first 60 clicks; the stop checkpoints every task: note it
    await produce(input, clicks(0, 60));
    await runPhase(job, false, input, restatedOut, 60);
    const noted = await admin.inspect(job);
    expect(noted.tasks.map((t) => t.task)).toEqual(['0', '1', '2', '3']);
    const checkpoint = noted.tasks[0].latest as number;
    for (const t of noted.tasks) expect(t.latest).toBe(checkpoint);

    // 2. a buggy version processes 60 more, and is stopped
    await produce(input, clicks(60, 120));
    await runPhase(job, true, input, restatedOut, 60);
    const buggyState = await stateOf(job);
    expect(Object.keys(buggyState.debug).length).toBeGreaterThan(0);

    // 3. rewind to the noted checkpoint: every task goes back to its state and positions
    const rewound = await admin.rewind(job, checkpoint);
    expect(rewound.tasks.map((t) => [t.task, t.from, t.to.id])).toEqual(
      noted.tasks.map((t) => [t.task, checkpoint + 1, checkpoint]),
    );
    for (const [i, t] of rewound.tasks.entries()) {
      expect(t.to.positions).toEqual(noted.tasks[i].checkpoints[0].positions);
    }

    // 4. the fixed version reprocesses the 60 clicks from there
    await runPhase(job, false, input, restatedOut, 60);

    // a clean run of the fixed version over all 120
    await runPhase(clean, false, input, cleanOut, 120);

    // the same final state (the buggy version's extra state is gone with its writes)
    const cleanState = await stateOf(clean);
    const restatedState = await stateOf(job);
    expect(restatedState).toEqual(cleanState);
    expect(restatedState.debug).toEqual({});
    expect(restatedState.total).not.toEqual(buggyState.total);

    // the same checkpointed positions and watermarks per task
    const summary = async (name: string) =>
      (await admin.inspect(name)).tasks.map((t) => ({
        task: t.task,
        positions: t.checkpoints[0].positions,
        watermark: t.checkpoints[0].watermarks.current,
      }));
    expect(await summary(job)).toEqual(await summary(clean));

    // the same results: the restated ones replace the buggy ones, which carry their ids
    const restated = await readAll(restatedOut, 180);
    const cleanResults = await readAll(cleanOut, 120);
    expect(restated).toHaveLength(180);
    expect(cleanResults).toHaveLength(120);
    expect(lastById(restated)).toEqual(lastById(cleanResults));
    const buggy = restated.filter((r) => lastById(cleanResults).get(r.id)?.total !== r.value.total);
    expect(buggy.length).toBeGreaterThan(0); // the buggy results were there, under the same ids
  });

  it('stops a process that is still running when its job is rewound, instead of running the old code again', async () => {
    const job = unique('Running');
    const input = unique('clicks');
    const output = unique('totals');
    await services.kafka.createTopic(input, PARTITIONS);
    await services.kafka.createTopic(output, PARTITIONS);
    await produce(input, clicks(0, 40));
    const runner = startRunner(job, true, input, output, 100);
    const done = runner.run();
    const deadline = Date.now() + 60_000;
    while (runner.metrics.checkpoints < PARTITIONS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await admin.rewind(job, new Date().toISOString());
    await produce(input, clicks(40, 80));
    await expect(done).rejects.toThrow(
      /was rewound after this process restored it .* it stops so that the version you deploy next reprocesses the input/,
    );
  });
});

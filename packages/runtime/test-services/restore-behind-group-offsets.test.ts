/**
 * A job restarted under its own consumer group when the group's committed offsets are
 * not where its tasks' checkpoints are: ahead of them after `stream-gen rewind` (or
 * offsets set by hand, which is the same), behind them after a commit that failed. The
 * consumer hands out a batch fetched from the committed offset before the runner's seek
 * to the restored position takes. Applied, a batch from ahead would move the task past
 * the input in between, which would be lost; a batch from behind is input the task has
 * applied. Neither may be applied: every input from the restored position on counts
 * exactly once, on a source topic and on the exchange a keyed stage reads.
 *
 * The gap between the two positions holds many records, more follow the committed
 * offset, and the restarted tasks take a while to restore (as a large checkpoint or a
 * far Redis would): so the first fetch of every partition certainly returns a batch
 * from the committed offset, and hands it out after the runner's seek.
 */
import { isDeepStrictEqual } from 'node:util';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import {
  ExchangeWriter,
  GroupJobRunner,
  KafkajsClient,
  PipelineRunner,
  planSegments,
  RedisStateBackend,
  silentLogger,
  consoleLogger,
  type ElementContext,
  type JobSegment,
  type JobSpec,
  type RuntimeContext,
  type SegmentOptions,
  type TaskScope,
  type TaskStores,
  type ValueState,
} from '../src';
import { segmentTaskId } from '../src/job/segments';
import { kafkaExchange } from '../src/runner/exchange-writer';
import { kafkaClient, produce } from './kafka-io';
import { clientSecurity } from './kafka-client-security';
import { fastConsumerConfig, testServices } from './services';

const services = testServices();
jest.setTimeout(180_000);

const PARTITIONS = 4;

interface Ev {
  /** The key of the job's (first) operator. */
  readonly k: string;
  /** The key of the keyed stage. */
  readonly g: string;
  readonly v: number;
  readonly ts: number;
}

/** Sums v per key: an input lost or applied twice shows in the sums. */
class Sum {
  private total!: ValueState<number>;
  constructor(private readonly field: 'k' | 'g') {}
  open(ctx: RuntimeContext) {
    this.total = ctx.valueState<number>('total');
  }
  processElement(e: Ev, ctx: ElementContext<Ev>) {
    this.total.update((this.total.value() ?? 0) + e.v);
    if (this.field === 'k') ctx.emit(e);
  }
}

const source = {
  name: 'evs',
  key: (e: Ev) => e.k,
  partitionedByKey: true,
  eventTime: { timestamp: (e: Ev) => e.ts, maxOutOfOrdernessMs: 0 },
};

/** One keyed operator, summing per k. */
const sumJob = (name: string): JobSpec => ({
  name,
  sources: [source],
  operator: { kind: 'process', name: 'sum', input: 'evs', create: () => new Sum('k') },
  outputs: {},
});

/** The same, passing every event on to a keyed stage behind a repartition that sums per g. */
const stagedJob = (name: string): JobSpec => ({
  ...sumJob(name),
  operator: {
    kind: 'process',
    name: 'sum',
    input: 'evs',
    output: 'mid',
    create: () => new Sum('k'),
  },
  keyedStages: [
    { kind: 'process', id: 'tot', input: 'mid', key: (e: Ev) => e.g, create: () => new Sum('g') },
  ],
});

/** Events `from` to `to` (exclusive) of partition p: keys of its own, distinct values. */
const eventsOf = (p: number, from: number, to: number): Ev[] =>
  Array.from({ length: to - from }, (_, j) => {
    const i = from + j;
    return { k: `k${p}-${i % 7}`, g: `g${(i * 5 + p) % 23}`, v: p * 100_000 + i + 1, ts: 1000 + i };
  });

async function produceEvents(kafka: Kafka, topic: string, from: number, to: number) {
  const records = Array.from({ length: PARTITIONS }, (_, p) =>
    eventsOf(p, from, to).map((e) => ({ key: e.k, value: e, partition: p })),
  ).flat();
  await produce(kafka, topic, records);
}

function sums(events: readonly Ev[], field: 'k' | 'g'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e[field]] = (out[e[field]] ?? 0) + e.v;
  return out;
}

/** Redis state whose tasks take `delayMs` longer to open, as with a large checkpoint. */
class SlowRestore extends RedisStateBackend {
  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly delayMs: number,
  ) {
    super(redis, { keyPrefix });
  }

  override async openTask(scope: TaskScope): Promise<TaskStores> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    return super.openTask(scope);
  }
}

const RESTORE_MS = 500;

const brokerClient = () =>
  new KafkajsClient({
    brokers: testServices().kafkaBrokers,
    security: clientSecurity(testServices().kafkaBrokers),
    logger: silentLogger,
    sessionTimeoutMs: fastConsumerConfig.sessionTimeout,
  });

const unique = (p: string) =>
  `${p}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;

async function until(done: () => Promise<boolean>, what: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a job restarted under its group, whose committed offsets are not its checkpoints', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const admin = kafka.admin();
  const redis = new Redis(services.redisUrl);

  beforeAll(() => admin.connect());
  afterAll(async () => {
    await admin.disconnect();
    await redis.quit();
  });

  /** The sums a task's state holds, per key, and its checkpointed positions. */
  async function taskState(backend: RedisStateBackend, job: string, task: string, keys: string[]) {
    const stores = await backend.openTask({ job, task });
    const entries = await stores.state.read(keys.map((key) => ({ state: 'total', key })));
    const state: Record<string, number> = {};
    entries.forEach((entry, i) => {
      if (entry !== undefined) state[keys[i]] = entry.value as number;
    });
    return { state, positions: (await stores.checkpoints.latest())?.positions ?? {} };
  }

  const committed = async (groupId: string, topic: string) =>
    (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions
      .sort((a, b) => a.partition - b.partition)
      .map((p) => Number(p.offset));

  const endOffsets = async (topic: string) =>
    (await admin.fetchTopicOffsets(topic))
      .sort((a, b) => a.partition - b.partition)
      .map((p) => Number(p.high));

  /** Commits offsets for the (idle) group as a member of it that reads nothing. */
  async function setCommitted(groupId: string, topic: string, offsets: readonly number[]) {
    const member = kafka.consumer({ groupId, ...fastConsumerConfig });
    await member.connect();
    try {
      await member.subscribe({ topics: [topic] });
      const joined = new Promise((resolve) => member.on(member.events.GROUP_JOIN, resolve));
      await member.run({ autoCommit: false, eachBatch: async () => undefined });
      member.pause([{ topic }]);
      await joined;
      await member.commitOffsets(
        offsets.map((offset, partition) => ({ topic, partition, offset: String(offset) })),
      );
    } finally {
      await member.disconnect();
    }
    expect(await committed(groupId, topic)).toEqual(offsets);
  }

  /** Runs `runner` until `done`, then stops it (the stop checkpoints every task). */
  async function runUntil(
    runner: { run(): Promise<unknown>; stop(): Promise<void> },
    done: () => Promise<boolean>,
    what: () => string,
  ) {
    let stopping = false;
    const ended = runner.run().then(() => {
      if (!stopping) throw new Error(`the job ended before ${what()}`);
    });
    try {
      await Promise.race([until(done, what), ended]);
    } finally {
      stopping = true;
      await runner.stop();
    }
    await ended;
  }

  it('on a source topic: applies every record from the checkpoint on once, the group ahead or behind', async () => {
    const job = unique('Sums');
    const topic = unique('evs');
    const groupId = unique('group');
    await services.kafka.createTopic(topic, PARTITIONS);
    const backend = new RedisStateBackend(redis);
    const start = (state: RedisStateBackend) =>
      new GroupJobRunner({
        job: sumJob(job),
        client: brokerClient(),
        topics: { sources: { evs: topic }, sinks: {} },
        sinks: {},
        backend: state,
        groupId,
        logger: silentLogger,
        // no checkpoint but the final one of each run
        checkpointIntervalMs: 600_000,
      });
    const BEFORE = 100;
    const AHEAD = 1_600;
    const END = 1_800;

    // the first run applies BEFORE records per partition; its stop checkpoints them
    await produceEvents(kafka, topic, 0, BEFORE);
    const first = start(backend);
    await runUntil(
      first,
      async () => first.metrics.recordsIn === PARTITIONS * BEFORE,
      () => `${first.metrics.recordsIn} records in`,
    );

    // more records; the group's offsets go ahead of the checkpoints (even partitions,
    // as after a rewind) or behind them (odd partitions)
    await produceEvents(kafka, topic, BEFORE, END);
    await setCommitted(
      groupId,
      topic,
      Array.from({ length: PARTITIONS }, (_, p) => (p % 2 === 0 ? AHEAD : 0)),
    );
    for (let p = 0; p < PARTITIONS; p++) {
      expect((await taskState(backend, job, String(p), [])).positions).toEqual({ evs: BEFORE });
    }

    // restarted under the same group
    const second = start(new SlowRestore(redis, 'sg', RESTORE_MS));
    const at = () => second.status().map((t) => t.positions.evs ?? 0);
    await runUntil(
      second,
      async () => at().length === PARTITIONS && at().every((position) => position === END),
      () => `the tasks to reach ${END}: ${at().join(', ')}`,
    );

    // every record from the checkpoints on, and none before them
    expect(second.metrics.recordsIn).toBe(PARTITIONS * (END - BEFORE));
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = sums(eventsOf(p, 0, END), 'k');
      const { state } = await taskState(backend, job, String(p), Object.keys(expected));
      expect(state).toEqual(expected);
    }
  });

  it('on the exchange a keyed stage reads: applies every element from its checkpoint on once', async () => {
    const job = unique('Staged');
    const topic = unique('evs');
    const exchange = `${job}.tot.repartition`;
    const upstreamGroup = unique('group');
    const stageGroup = `${upstreamGroup}.tot`;
    await services.kafka.createTopic(topic, PARTITIONS);
    await services.kafka.createTopic(exchange, PARTITIONS);
    const backend = new RedisStateBackend(redis);
    const [head] = planSegments(stagedJob(job));

    /** A runner of one segment of the job; the first one reads the topic. */
    const segmentRunner = (
      segment: JobSegment,
      extra: SegmentOptions,
      state: RedisStateBackend,
      checkpointIntervalMs = 100,
    ) =>
      new GroupJobRunner({
        ...extra,
        job: segment.job,
        sinks: {},
        client: brokerClient(),
        topics: {
          sources: segment.stage ? { [segment.stage.input]: exchange } : { evs: topic },
          sinks: {},
        },
        backend: state,
        groupId: segment.stage ? stageGroup : upstreamGroup,
        logger: process.env.DEBUG_RBG
          ? consoleLogger(segment.stage ? 'stage' : 'head', 'debug')
          : silentLogger,
        checkpointIntervalMs,
        taskIdOf: (p) => segmentTaskId(segment, p),
      });
    /** The whole job: the first segment, the exchange, the stage. */
    const pipeline = (stageState: RedisStateBackend) =>
      new PipelineRunner({
        job: stagedJob(job),
        logger: silentLogger,
        sinks: {},
        runner: (segment, extra) =>
          segmentRunner(segment, extra, segment.stage ? stageState : backend),
        exchange: () => kafkaExchange(brokerClient(), job, exchange),
      });
    /** What the stage's tasks hold, per g, and their checkpointed exchange positions. */
    const stage = async (events: readonly Ev[]) => {
      const keys = Object.keys(sums(events, 'g'));
      const tasks = await Promise.all(
        Array.from({ length: PARTITIONS }, (_, d) => taskState(backend, job, `tot/${d}`, keys)),
      );
      return {
        state: Object.assign({}, ...tasks.map((t) => t.state)) as Record<string, number>,
        positions: tasks.map((t) => t.positions.mid ?? 0),
      };
    };
    const all = (to: number) =>
      Array.from({ length: PARTITIONS }, (_, p) => eventsOf(p, 0, to)).flat();
    const FIRST = 50;
    const END = 1_050;

    // the whole job applies the first events and stops
    await produceEvents(kafka, topic, 0, FIRST);
    await runUntil(
      pipeline(backend),
      async () => isDeepStrictEqual((await stage(all(FIRST))).state, sums(all(FIRST), 'g')),
      () => 'the stage to apply the first events',
    );
    const checkpointed = (await stage(all(FIRST))).positions;

    // the first segment alone processes the rest, as one epoch, into the exchange
    await produceEvents(kafka, topic, FIRST, END);
    const writer = new ExchangeWriter(head.feeds!, silentLogger);
    writer.attach(await kafkaExchange(brokerClient(), job, exchange));
    const upstream = segmentRunner(head, { exchangeOut: writer }, backend, 600_000);
    await runUntil(
      upstream,
      async () => upstream.metrics.recordsIn === PARTITIONS * (END - FIRST),
      () => `${upstream.metrics.recordsIn} records in upstream`,
    );

    // the stage's group goes halfway between its checkpoints and the exchange's end
    const ends = await endOffsets(exchange);
    const ahead = ends.map((end, d) => Math.floor((checkpointed[d] + end) / 2));
    for (const [d, offset] of ahead.entries()) {
      expect(offset - checkpointed[d]).toBeGreaterThan(100);
      expect(ends[d] - offset).toBeGreaterThan(100);
    }
    await setCommitted(stageGroup, exchange, ahead);

    // the whole job again, under the same groups
    await runUntil(
      pipeline(new SlowRestore(redis, 'sg', RESTORE_MS)),
      async () => (await stage(all(END))).positions.every((position, d) => position >= ends[d]),
      () => `the stage to read its exchange partitions to ${ends.join(', ')}`,
    );
    expect((await stage(all(END))).state).toEqual(sums(all(END), 'g'));
  });
});

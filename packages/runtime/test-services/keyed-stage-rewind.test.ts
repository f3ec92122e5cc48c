/**
 * Rewind and savepoints of a job with a keyed stage behind a repartition, on a real
 * redis-server: the job's two segments run as StreamTasks on the Redis backend, joined
 * by the real ExchangeWriter over an exchange kept here (it outlives the tasks, as a
 * Kafka topic would), with a manual clock. Checks the plan CheckpointAdmin installs
 * (new ids upstream, void epochs downstream), that the stage's state after a rewind
 * and a replay holds every input exactly once, and the refusals.
 */
import { Redis } from 'ioredis';
import {
  CheckpointAdmin,
  CheckpointAdminRefusedError,
  ExchangeWriter,
  JobMetrics,
  ManualClock,
  RedisStateBackend,
  StreamTask,
  planSegments,
  silentLogger,
  type ElementContext,
  type JobSpec,
  type Logger,
  type RawRecord,
  type RuntimeContext,
  type TaskCheckpoint,
  type ValueState,
} from '../src';
import { segmentTaskId, type JobSegment } from '../src/job/segments';
import { testServices } from './services';

jest.setTimeout(60_000);

interface Ev {
  k: string;
  g: string;
  v: number;
  ts: number;
}

/** Stage one, keyed by k: passes each event on, numbered per key (state a rewind restores). */
class Forward {
  private seen!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.seen = ctx.valueState('seen');
  }
  processElement(e: Ev, ctx: ElementContext<unknown>) {
    const n = (this.seen.value() ?? 0) + 1;
    this.seen.update(n);
    ctx.emit({ ...e, n });
  }
}

/** Stage two, keyed by g behind the repartition: the sum of v per g, which shows any event applied twice. */
class Totals {
  private total!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.total = ctx.valueState('total');
  }
  processElement(e: Ev, ctx: ElementContext<unknown>) {
    const total = (this.total.value() ?? 0) + e.v;
    this.total.update(total);
    ctx.emit({ g: e.g, total });
  }
}

const jobSpec = (name: string): JobSpec => ({
  name,
  sources: [
    {
      name: 'evs',
      key: (e: Ev) => e.k,
      partitionedByKey: true,
      eventTime: { timestamp: (e: Ev) => e.ts, maxOutOfOrdernessMs: 0 },
    },
  ],
  operator: {
    kind: 'process',
    name: 'fwd',
    input: 'evs',
    output: 'mid',
    create: () => new Forward(),
  },
  keyedStages: [
    { kind: 'process', id: 'tot', input: 'mid', key: (e: Ev) => e.g, create: () => new Totals() },
  ],
  outputs: { main: 'out' },
});

const UPSTREAM = 2;
const DOWNSTREAM = 2;
const GROUPS = ['a', 'b', 'c', 'd', 'e'];

/** Input of upstream task p: `count` events, keys of its own, values that sum distinctly. */
const inputOf = (p: number, count: number): Ev[] =>
  Array.from({ length: count }, (_, i) => ({
    k: `k${p}-${i % 3}`,
    g: GROUPS[(i * 7 + p) % GROUPS.length],
    v: (p + 1) * 1000 + i,
    ts: 1000 + i * 10,
  }));

const clock = new ManualClock(1_700_000_000_000);
/** What the tasks logged: the stage says how many records of discarded epochs it dropped. */
const logged: string[] = [];
const logger: Logger = { ...silentLogger, info: (m) => logged.push(m) };
const voidedRecords = () =>
  logged
    .map((m) => /dropped (\d+) record\(s\) of upstream epochs a rewind discarded/.exec(m))
    .reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
let counter = 0;
const uniqueJob = (name: string) =>
  `${name}_${process.pid}_${Date.now().toString(36)}_${counter++}`;

/**
 * One opening of the job (a process): its tasks restore their latest checkpoints, the
 * upstream tasks send the markers of what they restored, and each downstream task reads
 * the exchange from its restored position.
 */
class Opened {
  private constructor(
    private readonly job: JobSpec,
    readonly upstream: StreamTask[],
    readonly downstream: StreamTask[],
    private readonly writer: ExchangeWriter,
    private readonly exchange: RawRecord[][],
    private readonly inputs: Ev[][],
    private readonly read: number[],
  ) {}

  static async open(
    backend: RedisStateBackend,
    job: JobSpec,
    exchange: RawRecord[][],
    inputs: Ev[][],
  ): Promise<Opened> {
    const [first, stage] = planSegments(job);
    const writer = new ExchangeWriter(first.feeds!, silentLogger);
    writer.attach({
      partitions: DOWNSTREAM,
      describe: () => 'exchange kept by the test',
      async send(records) {
        for (const r of records) {
          const partition = exchange[r.partition ?? 0];
          partition.push({ offset: partition.length, value: r.value as string });
        }
      },
      async close() {},
    });
    const open = (segment: JobSegment, p: number) =>
      StreamTask.open({
        job: segment.job,
        taskId: segmentTaskId(segment, p),
        partition: p,
        backend,
        clock,
        logger,
        metrics: new JobMetrics(),
        exchange: segment === stage ? { source: 'mid', upstreamTasks: UPSTREAM } : undefined,
        emit: (emission, epoch, attempt) => {
          if (segment === first && emission.stream.kind === 'main') {
            writer.route(p, epoch, attempt, emission.record);
          }
        },
      });
    const upstream = await Promise.all(inputs.map((_, p) => open(first, p)));
    const downstream = await Promise.all(exchange.map((_, p) => open(stage, p)));
    for (const [p, task] of upstream.entries()) {
      const attempt = task.committedAttempt;
      if (attempt !== undefined)
        await writer.mark(p, task.checkpointId, attempt, task.watermark, false);
    }
    const read = downstream.map((t) => t.positions.mid ?? 0);
    return new Opened(job, upstream, downstream, writer, exchange, inputs, read);
  }

  /** Upstream task p processes its next `n` events, then checkpoints and marks the epoch. */
  async upstreamStep(p: number, n: number): Promise<void> {
    const task = this.upstream[p];
    const at = task.positions.evs ?? 0;
    const batch = this.inputs[p].slice(at, at + n).map((value, i) => ({ value, offset: at + i }));
    await task.processBatch('evs', batch);
    await this.writer.flush(p);
    clock.advanceBy(1000);
    const checkpoint = await task.checkpoint();
    await this.writer.mark(p, checkpoint.id, task.attempt, checkpoint.watermarks.current, false);
  }

  /** Downstream task d applies what the exchange holds for it that it did not read, then checkpoints. */
  async downstreamStep(d: number): Promise<TaskCheckpoint> {
    const records = this.exchange[d].slice(this.read[d]);
    this.read[d] = this.exchange[d].length;
    await this.downstream[d].processExchange(records);
    clock.advanceBy(1000);
    return this.downstream[d].checkpoint();
  }

  /** Every upstream task processes what is left, and every downstream task applies it. */
  async runToEnd(): Promise<void> {
    for (const [p, input] of this.inputs.entries()) {
      while ((this.upstream[p].positions.evs ?? 0) < input.length) await this.upstreamStep(p, 4);
    }
    for (let d = 0; d < DOWNSTREAM; d++) await this.downstreamStep(d);
  }

  /** The stage's total per group, over its tasks. */
  async totals(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const g of GROUPS) {
      for (const task of this.downstream) {
        const total = (await task.readState('total', g)) as number | undefined;
        if (total !== undefined) out[g] = (out[g] ?? 0) + total;
      }
    }
    return out;
  }

  close(): void {
    [...this.upstream, ...this.downstream].forEach((t) => t.close());
    void this.job;
  }
}

/** What the stage must hold: each event's v summed once per group. */
function expectedTotals(inputs: Ev[][]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of inputs.flat()) out[e.g] = (out[e.g] ?? 0) + e.v;
  return out;
}

describe('rewind of a job with a keyed stage behind a repartition (Redis)', () => {
  let redis: Redis;
  let backend: RedisStateBackend;
  let admin: CheckpointAdmin;
  const opened: Opened[] = [];
  const open = async (job: JobSpec, exchange: RawRecord[][], inputs: Ev[][]) => {
    const o = await Opened.open(backend, job, exchange, inputs);
    opened.push(o);
    return o;
  };

  beforeAll(() => {
    redis = new Redis(testServices().redisUrl);
    backend = new RedisStateBackend(redis);
    admin = new CheckpointAdmin(redis, { now: () => clock.now() });
  });
  afterEach(() => opened.splice(0).forEach((o) => o.close()));
  afterAll(() => redis.quit());

  it('rewinds to a savepoint and then to a time: upstream ids move past the discarded epochs, the stage applies each input once', async () => {
    const job = jobSpec(uniqueJob('Staged'));
    const inputs = [inputOf(0, 40), inputOf(1, 36)];
    const exchange: RawRecord[][] = [[], []];
    const first = await open(job, exchange, inputs);
    // the stage lags one upstream checkpoint: what it applied is below what the upstream committed
    for (let round = 0; round < 3; round++) {
      for (let p = 0; p < UPSTREAM; p++) await first.upstreamStep(p, 4);
      for (let d = 0; d < DOWNSTREAM; d++) await first.downstreamStep(d);
      for (let p = 0; p < UPSTREAM; p++) await first.upstreamStep(p, 2);
    }
    const saved = await admin.savepoint(job.name, 'before');
    expect(saved.tasks.map((t) => [t.task, t.checkpoint.id])).toEqual([
      ['0', 6],
      ['1', 6],
      ['tot/0', 3],
      ['tot/1', 3],
    ]);
    // more of the input: these epochs (7 to 10) and their markers stay in the exchange
    for (let round = 0; round < 2; round++) {
      for (let p = 0; p < UPSTREAM; p++) await first.upstreamStep(p, 3);
      for (let d = 0; d < DOWNSTREAM; d++) await first.downstreamStep(d);
    }
    first.close();

    logged.length = 0;
    const back = await admin.rewind(job.name, 'before');
    expect(back.tasks.map((t) => [t.task, t.from, t.to.id, t.restored])).toEqual([
      ['0', 8, 10, 6],
      ['1', 8, 10, 6],
      ['tot/0', 5, 3, undefined],
      ['tot/1', 5, 3, undefined],
    ]);
    const checkpointOf = async (task: string) =>
      (await backend.openTask({ job: job.name, task })).checkpoints.latest();
    expect(await checkpointOf('0')).toMatchObject({ id: 10, skippedEpochs: [[6, 10]] });
    expect(await checkpointOf('tot/0')).toMatchObject({
      id: 3,
      voidEpochs: { '0': [[6, 10]], '1': [[6, 10]] },
    });
    // the fed task retains the installed checkpoint only: no undo log leads across 7..9
    expect((await admin.inspect(job.name)).tasks[0].checkpoints.map((c) => c.id)).toEqual([10]);

    const second = await open(job, exchange, inputs);
    for (let p = 0; p < UPSTREAM; p++) await second.upstreamStep(p, 3);
    expect(second.upstream[0].checkpointId).toBe(11);
    const afterEleven = clock.now();
    clock.advanceBy(1000);
    for (let d = 0; d < DOWNSTREAM; d++) await second.downstreamStep(d);
    // per stage task and upstream task: elements and markers of epochs 7 and 8, marker 10
    expect(voidedRecords()).toBeGreaterThanOrEqual(DOWNSTREAM * UPSTREAM * 3);
    for (let p = 0; p < UPSTREAM; p++) await second.upstreamStep(p, 5);
    for (let d = 0; d < DOWNSTREAM; d++) await second.downstreamStep(d);
    second.close();

    // to a time when the upstream had taken checkpoint 11 (a checkpoint it committed
    // itself, which carries (6, 10] on) and the stage had not checkpointed since the
    // savepoint's checkpoint 3 (which applied epoch 5): both ranges are void again
    const again = await admin.rewind(job.name, new Date(afterEleven).toISOString());
    expect(again.tasks.map((t) => [t.task, t.to.id, t.restored])).toEqual([
      ['0', 14, 11],
      ['1', 14, 11],
      ['tot/0', 3, undefined],
      ['tot/1', 3, undefined],
    ]);
    const voids = [
      [6, 10],
      [11, 14],
    ];
    expect(await checkpointOf('tot/1')).toMatchObject({ voidEpochs: { '0': voids, '1': voids } });
    expect(await checkpointOf('1')).toMatchObject({ skippedEpochs: voids });

    const third = await open(job, exchange, inputs);
    await third.runToEnd();
    expect(await third.totals()).toEqual(expectedTotals(inputs));
  });

  it('refuses a stage checkpoint that applied an epoch its upstream target does not hold, naming both, and changes nothing', async () => {
    const job = jobSpec(uniqueJob('Ahead'));
    const inputs = [inputOf(0, 20), inputOf(1, 20)];
    const exchange: RawRecord[][] = [[], []];
    const running = await open(job, exchange, inputs);
    // task 0 checkpoints twice per round, the stage once: its checkpoint 2 applied epoch 4
    for (let round = 0; round < 2; round++) {
      await running.upstreamStep(0, 2);
      await running.upstreamStep(0, 2);
      await running.upstreamStep(1, 2);
      for (let d = 0; d < DOWNSTREAM; d++) await running.downstreamStep(d);
    }
    running.close();
    const before = await admin.inspect(job.name);
    const refused = admin.rewind(job.name, 2);
    await expect(refused).rejects.toThrow(CheckpointAdminRefusedError);
    await expect(refused).rejects.toThrow(
      `cannot rewind job ${job.name} to checkpoint 2; nothing was changed:\n` +
        '  task tot/0 goes to checkpoint 2, which applied epoch 4 of upstream task 0, but task 0 ' +
        'goes to checkpoint 2: its state would hold input that task processes again; rewind to ' +
        'a time or a savepoint, which pair each stage with checkpoints of the tasks that feed it\n' +
        '  task tot/1 goes to checkpoint 2, which applied epoch 4 of upstream task 0',
    );
    expect(await admin.inspect(job.name)).toEqual(before);
  });

  it('refuses a task that checkpointed after the rewind was planned (the job still runs)', async () => {
    const job = uniqueJob('Moved');
    const { checkpoints } = await backend.openTask({ job, task: '0' });
    for (let id = 1; id <= 3; id++) {
      await checkpoints.commit(
        {
          id,
          takenAt: id,
          positions: {},
          watermarks: { current: 0, inputs: {} },
          timers: { event: [], processing: [] },
        },
        [],
      );
    }
    await expect(backend.rewind({ job, task: '0' }, 1, { planned: 2 })).rejects.toThrow(
      `task ${job}/0 took checkpoint 3 after the rewind was planned, so the job is still running; ` +
        'nothing was changed for it: stop the job and rewind again',
    );
    expect(await checkpoints.latest()).toMatchObject({ id: 3 });
  });
});

/**
 * CheckpointAdmin (what `stream-gen checkpoints / savepoint / rewind` run) against a real
 * redis-server, and a 3-master Redis Cluster: tasks run as StreamTasks on the Redis
 * backend with a manual clock, so every checkpoint, timer and output is deterministic.
 */
import { Redis, type Cluster } from 'ioredis';
import {
  CheckpointAdmin,
  CheckpointAdminRefusedError,
  CheckpointFencedError,
  CheckpointRewoundError,
  JobMetrics,
  ManualClock,
  NoCheckpointsError,
  RedisStateBackend,
  StreamTask,
  defaultSavepointName,
  silentLogger,
  type ElementContext,
  type JobSpec,
  type ListState,
  type RuntimeContext,
  type TimerContext,
  type ValueState,
} from '../src';
import { taskKeys } from '../src/state/redis';
import { startRedisCluster, type RedisCluster } from './redis-cluster';
import { testServices } from './services';

jest.setTimeout(60_000);

interface Ev {
  k: string;
  ts: number;
  v: number;
}

/** Value and list state, an event-time timer per element: outputs show any drift. */
class Sums {
  private sum!: ValueState<number>;
  private recent!: ListState<number>;
  open(ctx: RuntimeContext) {
    this.sum = ctx.valueState('sum');
    this.recent = ctx.listState('recent');
  }
  processElement(e: Ev, ctx: ElementContext<unknown>) {
    const sum = (this.sum.value() ?? 0) + e.v;
    this.sum.update(sum);
    this.recent.update([...this.recent.get(), e.v].slice(-3));
    ctx.timers.registerEventTimeTimer(e.ts + 100);
    ctx.emit({ k: e.k, sum });
  }
  onTimer(at: number, ctx: TimerContext<unknown>) {
    ctx.emit({ k: ctx.key, at, sum: this.sum.value(), recent: [...this.recent.get()] });
  }
}

const jobSpec = (name: string): JobSpec => ({
  name,
  sources: [
    {
      name: 'evs',
      eventTime: { timestamp: (e: Ev) => e.ts, maxOutOfOrdernessMs: 10 },
      key: (e: Ev) => e.k,
    },
  ],
  operator: { kind: 'process', name: 'sums', input: 'evs', create: () => new Sums() },
  outputs: { main: 'out' },
});

let counter = 0;
const uniqueJob = (name: string) =>
  `${name}_${process.pid}_${Date.now().toString(36)}_${counter++}`;

/** Batch i: 5 elements of 4 keys, offsets 5i..5i+4, event times rising. */
const batch = (i: number) =>
  Array.from({ length: 5 }, (_, j) => ({
    value: { k: `k${(i + j) % 4}`, ts: i * 50 + j * 10, v: i * 5 + j },
    offset: i * 5 + j,
  }));

interface Running {
  task: StreamTask;
  outputs: unknown[];
}

const clock = new ManualClock(1_700_000_000_000);

async function openTask(backend: RedisStateBackend, job: string, task: string): Promise<Running> {
  const outputs: unknown[] = [];
  const opened = await StreamTask.open({
    job: jobSpec(job),
    taskId: task,
    backend,
    clock,
    logger: silentLogger,
    metrics: new JobMetrics(),
    emit: (e) => outputs.push(e.record.value),
  });
  return { task: opened, outputs };
}

/** Processes batches from..to-1, a checkpoint (one clock second later) after each. */
async function run(running: Running, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    await running.task.processBatch('evs', batch(i));
    clock.advanceBy(1000);
    await running.task.checkpoint();
  }
}

/** Every state hash of a task, raw. */
async function dumpState(client: Redis | Cluster, job: string, task: string, prefix = 'sg') {
  const keys = taskKeys(prefix, { job, task });
  const out: Record<string, Record<string, string>> = {};
  for (const name of (await client.smembers(keys.states)).sort()) {
    const fields = await client.hgetall(keys.state(name));
    if (Object.keys(fields).length > 0) out[name] = fields;
  }
  return out;
}

const latestOf = async (backend: RedisStateBackend, job: string, task: string) =>
  (await backend.openTask({ job, task })).checkpoints.latest();

describe('CheckpointAdmin (standalone Redis)', () => {
  let redis: Redis;
  let backend: RedisStateBackend;
  let admin: CheckpointAdmin;
  const open: Running[] = [];
  const start = async (job: string, task: string, on = backend) => {
    const running = await openTask(on, job, task);
    open.push(running);
    return running;
  };

  beforeAll(() => {
    redis = new Redis(testServices().redisUrl);
    backend = new RedisStateBackend(redis);
    admin = new CheckpointAdmin(redis, { now: () => clock.now() });
  });
  afterEach(() => open.splice(0).forEach((r) => r.task.close()));
  afterAll(() => redis.quit());

  it('lists the retained checkpoints, state sizes and savepoints of every task, tasks in number order', async () => {
    const job = uniqueJob('List');
    for (const task of ['10', '2']) await run(await start(job, task), 0, task === '2' ? 3 : 12);
    await admin.savepoint(job, 'first');
    const listed = await admin.inspect(job);
    expect(listed.job).toBe(job);
    expect(listed.keyPrefix).toBe('sg');
    expect(listed.tasks.map((t) => [t.task, t.latest, t.checkpoints.map((c) => c.id)])).toEqual([
      ['2', 3, [3, 2, 1]],
      ['10', 12, [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]],
    ]);
    const [two] = listed.tasks;
    expect(two.rewinds).toBe(0);
    expect(two.states.map((s) => [s.state, s.keys])).toEqual([
      ['recent', 4],
      ['sum', 4],
    ]);
    for (const s of two.states) expect(s.bytes).toBeGreaterThan(0);
    const latest = await latestOf(backend, job, '2');
    expect(two.checkpoints[0]).toEqual({
      id: 3,
      takenAt: latest?.takenAt,
      positions: { evs: 15 },
      watermarks: latest?.watermarks,
      timers: { event: latest?.timers.event.length, processing: 0 },
    });
    expect(two.checkpoints[0].timers.event).toBeGreaterThan(0);
    expect(two.savepoints).toEqual([
      {
        name: 'first',
        savedAt: clock.now(),
        checkpoint: two.checkpoints[0],
        states: ['recent', 'sum'],
        keys: 8,
      },
    ]);
  });

  it('rewinds every task to a savepoint after more than 10 further checkpoints: state, timers, watermarks and positions, then replays to the same results', async () => {
    const job = uniqueJob('Savepoint');
    const tasks = ['0', '1'];
    const running = await Promise.all(tasks.map((t) => start(job, t)));
    for (const r of running) await run(r, 0, 3);
    const atSavepoint = await Promise.all(
      tasks.map(async (t) => ({
        state: await dumpState(redis, job, t),
        checkpoint: await latestOf(backend, job, t),
      })),
    );
    const saved = await admin.savepoint(job, 'before-fix');
    expect(saved.tasks.map((t) => [t.task, t.checkpoint.id, t.keys])).toEqual([
      ['0', 3, 8],
      ['1', 3, 8],
    ]);

    // 12 more checkpoints: checkpoint 3 falls out of the last 10, the savepoint stays
    for (const r of running) r.outputs.length = 0;
    for (const r of running) await run(r, 3, 15);
    const firstTime = running.map((r) => [...r.outputs]);
    const atEnd = await Promise.all(tasks.map((t) => dumpState(redis, job, t)));
    const listed = await admin.inspect(job);
    for (const t of listed.tasks) {
      expect(t.checkpoints.map((c) => c.id)).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
      expect(t.savepoints.map((s) => [s.name, s.checkpoint.id])).toEqual([['before-fix', 3]]);
    }
    await expect(admin.rewind(job, '3')).rejects.toThrow(CheckpointAdminRefusedError);

    const rewound = await admin.rewind(job, 'before-fix');
    expect(rewound.tasks.map((t) => [t.task, t.from, t.to.id])).toEqual([
      ['0', 15, 3],
      ['1', 15, 3],
    ]);
    for (const [i, t] of tasks.entries()) {
      expect(await dumpState(redis, job, t)).toEqual(atSavepoint[i].state);
      expect(await latestOf(backend, job, t)).toEqual(atSavepoint[i].checkpoint);
    }
    expect((await admin.inspect(job)).tasks.map((t) => t.checkpoints.map((c) => c.id))).toEqual([
      [3],
      [3],
    ]);
    // the processes still running are fenced
    for (const r of running) {
      await r.task.processBatch('evs', batch(15));
      await expect(r.task.checkpoint()).rejects.toThrow(CheckpointRewoundError);
    }

    // restarted, the tasks read again from the savepoint's positions: same outputs, same state
    const again = await Promise.all(tasks.map((t) => start(job, t)));
    for (const r of again) expect(r.task.positions).toEqual({ evs: 15 });
    for (const r of again) await run(r, 3, 15);
    expect(again.map((r) => r.outputs)).toEqual(firstTime);
    expect(await Promise.all(tasks.map((t) => dumpState(redis, job, t)))).toEqual(atEnd);

    // retention went past the savepoint again, and it still rewinds
    expect((await admin.inspect(job)).tasks[0].checkpoints.map((c) => c.id)).toEqual([
      15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
    ]);
    await admin.rewind(job, 'before-fix');
    expect(await dumpState(redis, job, '1')).toEqual(atSavepoint[1].state);
  });

  it('refuses a checkpoint id that some task no longer retains, naming it and what it retains, and changes nothing', async () => {
    const job = uniqueJob('NotRetained');
    await run(await start(job, '0'), 0, 12); // retains 3..12
    await run(await start(job, '1'), 0, 2); // retains 1, 2
    const before = {
      state: await Promise.all(['0', '1'].map((t) => dumpState(redis, job, t))),
      listed: await admin.inspect(job),
    };
    const refused = admin.rewind(job, 2);
    await expect(refused).rejects.toThrow(CheckpointAdminRefusedError);
    await expect(refused).rejects.toThrow(
      `cannot rewind job ${job} to checkpoint 2; nothing was changed:\n` +
        '  task 0 does not retain it: it retains checkpoints 12, 11, 10, 9, 8, 7, 6, 5, 4, 3',
    );
    await expect(admin.rewind(job, '13')).rejects.toThrow(
      /task 0 does not retain it: it retains checkpoints 12, .*, 3\n {2}task 1 does not retain it: it retains checkpoints 2, 1$/,
    );
    await expect(admin.rewind(job, 'no-such')).rejects.toThrow(
      /task 0 has no savepoint "no-such" \(its savepoints: none\)/,
    );
    expect(await Promise.all(['0', '1'].map((t) => dumpState(redis, job, t)))).toEqual(
      before.state,
    );
    expect(await admin.inspect(job)).toEqual(before.listed);
  });

  it('refuses to rewind a keyed stage whose checkpoint does not say what feeds it (an older stream-gen), and changes nothing', async () => {
    // task top/0 runs the job's own spec: its checkpoints name no exchange, as those of
    // a runtime from before rewinds of keyed stages (see keyed-stage-rewind.test.ts)
    const job = uniqueJob('Staged');
    await run(await start(job, '0'), 0, 3);
    await run(await start(job, 'top/0'), 0, 3);
    const before = await admin.inspect(job);
    await expect(admin.rewind(job, 2)).rejects.toThrow(
      `cannot rewind job ${job} to checkpoint 2; nothing was changed:\n` +
        '  task top/0 is behind a repartition, but its checkpoint 2 does not say which stream it ' +
        'reads: it was written by an older stream-gen; rewind to a checkpoint taken since, or ' +
        'restate the job under a new STREAM_GEN_NAMESPACE',
    );
    expect(await admin.inspect(job)).toEqual(before);
  });

  it('rewinds each task to its newest checkpoint taken at or before a time', async () => {
    const job = uniqueJob('ToTime');
    const zero = await start(job, '0');
    const one = await start(job, '1');
    await run(zero, 0, 2);
    await run(one, 0, 1);
    const at = clock.now(); // zero took 2 checkpoints, one took 1
    await run(zero, 2, 4);
    await run(one, 1, 4);
    const rewound = await admin.rewind(job, new Date(at).toISOString());
    expect(rewound.tasks.map((t) => [t.task, t.from, t.to.id])).toEqual([
      ['0', 4, 2],
      ['1', 4, 1],
    ]);
    await expect(admin.rewind(job, new Date(at - 60_000).toISOString())).rejects.toThrow(
      /task 0 retains no checkpoint that old: its oldest, 1, was taken at /,
    );
  });

  it('fences a process that restored before a rewind, even when its next id would follow the target', async () => {
    const job = uniqueJob('Fence');
    const old = await start(job, '0');
    await run(old, 0, 2);
    await admin.rewind(job, 2); // to the latest: the state does not change
    await old.task.processBatch('evs', batch(2));
    const stale = old.task.checkpoint();
    await expect(stale).rejects.toThrow(CheckpointFencedError);
    await expect(stale).rejects.toThrow(
      /checkpoint 3 of task .*\/0 was refused: the task was rewound after this process restored it \(its latest checkpoint is now 2\)/,
    );
    const fresh = await start(job, '0');
    await run(fresh, 2, 3);
    expect((await admin.inspect(job)).tasks[0]).toMatchObject({ latest: 3, rewinds: 1 });
  });

  it('records, refuses to overwrite, and drops named savepoints', async () => {
    const job = uniqueJob('Names');
    for (const t of ['0', '1']) await run(await start(job, t), 0, 1);
    const saved = await admin.savepoint(job);
    expect(saved.name).toBe(defaultSavepointName(clock.now()));
    expect(saved.name).toMatch(/^sp-\d{8}-\d{6}$/);
    await expect(admin.savepoint(job, saved.name)).rejects.toThrow(
      `cannot record savepoint "${saved.name}" of job ${job}: it exists already (drop it first: ` +
        `stream-gen savepoint ${job} --drop ${saved.name}); nothing was changed:\n` +
        `  task 0 has savepoint "${saved.name}"\n  task 1 has savepoint "${saved.name}"`,
    );
    await expect(admin.savepoint(job, '1abc')).rejects.toThrow(/must start with a letter/);
    expect(await admin.dropSavepoint(job, saved.name)).toEqual(['0', '1']);
    await expect(admin.dropSavepoint(job, saved.name)).rejects.toThrow(
      `no task of job ${job} has savepoint "${saved.name}"`,
    );
    const left = await redis.keys(`sg:{${job}:*}:savepoint*`);
    expect(left).toEqual([]);
  });

  it('finds only the jobs under its key prefix (STREAM_GEN_NAMESPACE), and names those it has when a job has none', async () => {
    const job = uniqueJob('Prefix');
    const namespaced = new RedisStateBackend(redis, { keyPrefix: `sg:ns-${job}` });
    await run(await start(job, '0', namespaced), 0, 1);
    await expect(admin.inspect(job)).rejects.toThrow(NoCheckpointsError);
    const inNamespace = new CheckpointAdmin(redis, { keyPrefix: `sg:ns-${job}` });
    expect((await inNamespace.inspect(job)).tasks.map((t) => t.task)).toEqual(['0']);
    await expect(inNamespace.inspect('Nope')).rejects.toThrow(
      `no checkpoints of job "Nope" in Redis (keys sg:ns-${job}:{Nope:<task>}:*); jobs with ` +
        `checkpoints there: ${job}. Is the job name right, and STREAM_GEN_NAMESPACE the one the job runs with?`,
    );
    await expect(admin.inspect('bad name')).rejects.toThrow(/job name "bad name" must start/);
  });
});

describe('CheckpointAdmin (Redis Cluster, 3 masters)', () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('finds the tasks on every master, and records and rewinds to a savepoint on each', async () => {
    const client = (cluster as RedisCluster).client;
    const job = uniqueJob('Cluster');
    // tasks until each master holds one
    const slotOwner = async (task: string) => {
      const slot = Number(
        await client.call('CLUSTER', ['KEYSLOT', taskKeys('sg', { job, task }).head]),
      );
      const ranges = (await client.call('CLUSTER', ['SLOTS'])) as Array<
        [number, number, [string, number]]
      >;
      return ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    };
    const tasks: string[] = [];
    const owners = new Set<number | undefined>();
    for (let t = 0; owners.size < 3 && t < 100; t++) {
      const owner = await slotOwner(String(t));
      if (!owners.has(owner)) tasks.push(String(t));
      owners.add(owner);
    }
    expect(owners.size).toBe(3);
    const clusterBackend = new RedisStateBackend(client);
    const clusterAdmin = new CheckpointAdmin(client);
    const running: Running[] = [];
    for (const t of tasks) running.push(await openTask(clusterBackend, job, t));
    for (const r of running) await run(r, 0, 2);
    const saved = await Promise.all(tasks.map((t) => dumpState(client, job, t)));
    await clusterAdmin.savepoint(job, 'sp');
    for (const r of running) await run(r, 2, 14);
    expect((await clusterAdmin.inspect(job)).tasks.map((t) => t.task)).toEqual(
      [...tasks].sort((a, b) => Number(a) - Number(b)),
    );
    await clusterAdmin.rewind(job, 'sp');
    expect(await Promise.all(tasks.map((t) => dumpState(client, job, t)))).toEqual(saved);
    for (const r of running) {
      await expect(r.task.checkpoint()).rejects.toThrow(CheckpointRewoundError);
      r.task.close();
    }
    await clusterAdmin.rewind(job, '2');
    expect(await clusterAdmin.dropSavepoint(job, 'sp')).toHaveLength(3);
  });
});

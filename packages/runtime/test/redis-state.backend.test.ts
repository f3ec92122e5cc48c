/**
 * Integration tests of the Redis state backend against real Redis servers: one
 * standalone server (REDIS_URL when set, else a redis-server started here on a free
 * port) and a 3-node Redis Cluster started here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import {
  ManualClock,
  JobMetrics,
  MemoryStateBackend,
  StreamTask,
  silentLogger,
  type ElementContext,
  type Emission,
  type JobSpec,
  type ListState,
  type MapState,
  type RuntimeContext,
  type StateBackend,
  type StateWrite,
  type TaskCheckpoint,
  type TimerContext,
  type ValueState,
} from '../src';
import {
  CheckpointFencedError,
  CheckpointNotRetainedError,
  RedisStateBackend,
  taskKeys,
} from '../src/state/redis';
import { END_OF_TIME } from '../src/time/time-bounds';

const INSTALL_HINT = 'install redis-server (apt-get install redis-server)';

// ---------------------------------------------------------------- servers

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Server {
  readonly port: number;
  readonly process: ChildProcess;
  output(): string;
}

/** Starts redis-server on a free port and waits until it answers PING. */
async function startRedis(extra: (port: number) => string[] = () => []): Promise<Server> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, ...extra(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(INSTALL_HINT) : error),
    );
    child.once('exit', (code) =>
      reject(new Error(`redis-server on port ${port} exited with ${code}:\n${output}`)),
    );
  });
  failed.catch(() => undefined); // observed below; also keeps a late exit from going unhandled
  const ready = (async () => {
    for (let i = 0; i < 200; i++) {
      const probe = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        // not listening yet
      } finally {
        probe.disconnect();
      }
      await sleep(25);
    }
    throw new Error(`redis-server on port ${port} did not answer PING:\n${output}`);
  })();
  await Promise.race([ready, failed]);
  return { port, process: child, output: () => output };
}

async function stopRedis(server: Server | undefined): Promise<void> {
  const child = server?.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

// ---------------------------------------------------------------- helpers

let uniqueCounter = 0;
/** A job name no other test (or earlier run against the same REDIS_URL) uses. */
const uniqueJob = (name: string) =>
  `${name}-${process.pid}-${Date.now().toString(36)}-${uniqueCounter++}`;

const checkpointOf = (id: number, extra: Partial<TaskCheckpoint> = {}): TaskCheckpoint => ({
  id,
  takenAt: 1_700_000_000_000 + id,
  positions: { ops: id * 10 },
  watermarks: {
    current: id * 100,
    inputs: { ops: { maxEventTime: id * 100 + 5, explicit: -8.64e15, ended: false } },
  },
  timers: { event: [{ key: 'k1', timestamp: id * 1000 }], processing: [] },
  ...extra,
});

const put = (state: string, key: string, value: unknown, expiresAt?: number): StateWrite => ({
  state,
  key,
  entry: expiresAt === undefined ? { value } : { value, expiresAt },
});
const del = (state: string, key: string): StateWrite => ({ state, key, entry: undefined });

/** Every state hash of a task, as raw strings: what "exactly that state" means. */
async function dumpState(client: Redis | Cluster, job: string, task = '0') {
  const keys = taskKeys('sg', { job, task });
  const names = (await client.smembers(keys.states)).sort();
  const out: Record<string, Record<string, string>> = {};
  for (const name of names) {
    const fields = await client.hgetall(keys.state(name));
    if (Object.keys(fields).length > 0) out[name] = fields;
  }
  return out;
}

/** Counts the commands the server receives from clients (not from scripts) during `fn`. */
async function countCommands(
  url: Server | string,
  client: Redis,
  fn: () => Promise<unknown>,
): Promise<string[]> {
  const monitorClient =
    typeof url === 'string' ? new Redis(url) : new Redis({ port: url.port, host: '127.0.0.1' });
  const monitor = await monitorClient.monitor();
  const seen: Array<{ args: string[]; source: string }> = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) =>
    seen.push({ args, source }),
  );
  const marker = (n: string) => `marker-${n}-${Math.random()}`;
  const start = marker('start');
  const end = marker('end');
  const waitFor = async (m: string) => {
    for (let i = 0; i < 400 && !seen.some((c) => c.args[1] === m); i++) await sleep(5);
  };
  await client.echo(start);
  await waitFor(start);
  await fn();
  await client.echo(end);
  await waitFor(end);
  monitor.disconnect();
  monitorClient.disconnect();
  const from = seen.findIndex((c) => c.args[1] === start);
  const to = seen.findIndex((c) => c.args[1] === end);
  return seen
    .slice(from + 1, to)
    .filter((c) => c.source !== 'lua')
    .map((c) => c.args[0].toUpperCase());
}

// ---------------------------------------------------------------- the job run on both backends

interface Op {
  k: string;
  ts: number;
  v: number;
}

interface Fired {
  key: string;
  at: number;
  domain: string;
  count: number;
  seen: number[];
  last: Record<string, number>;
  session: string | undefined;
}

/** Value, list, map and TTL state, event-time and processing-time timers. */
class Probe {
  private count!: ValueState<number>;
  private seen!: ListState<number>;
  private last!: MapState<number>;
  private session!: ValueState<string>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState('count');
    this.seen = ctx.listState('seen');
    this.last = ctx.mapState('last');
    this.session = ctx.valueState('session', { ttlMs: 5_000 });
  }
  processElement(e: Op, ctx: ElementContext<Fired>) {
    this.count.update((this.count.value() ?? 0) + 1);
    this.seen.add(e.v);
    this.last.put(`m${e.v % 3}`, e.ts);
    if (e.v % 4 === 0) this.session.update(`seen ${e.v} at ${ctx.currentProcessingTime()}`);
    ctx.timers.registerEventTimeTimer(e.ts + 250);
    if (e.v % 5 === 0) ctx.timers.registerProcessingTimeTimer(ctx.currentProcessingTime() + 700);
  }
  onTimer(timestamp: number, ctx: TimerContext<Fired>) {
    const seen = [...this.seen.get()];
    ctx.emit({
      key: ctx.key,
      at: timestamp,
      domain: ctx.timeDomain,
      count: this.count.value() ?? 0,
      seen,
      last: Object.fromEntries(this.last.entries()),
      session: this.session.value(),
    });
    if (seen.length > 3) this.seen.update(seen.slice(-2)); // prune
    if (ctx.timeDomain === 'processing') this.last.remove('m0');
  }
}

/** Stores a value JSON cannot hold. */
class BigIntState {
  private v!: ValueState<bigint>;
  open(ctx: RuntimeContext) {
    this.v = ctx.valueState('v');
  }
  processElement() {
    this.v.update(10n);
  }
}

const probeJob = (name: string): JobSpec => ({
  name,
  sources: [
    {
      name: 'ops',
      eventTime: { timestamp: (e: Op) => e.ts, maxOutOfOrdernessMs: 100 },
      key: (e: Op) => e.k,
    },
  ],
  operator: { kind: 'process', name: 'probe', input: 'ops', create: () => new Probe() },
  outputs: { main: 'out', sideOutputs: { late: 'late' } },
});

/** 120 elements over 7 keys, mostly in order, some late. */
const INPUT: Op[] = Array.from({ length: 120 }, (_, i) => ({
  k: `key-${i % 7}`,
  ts: 1_000 + i * 40 - (i % 9 === 0 ? 300 : 0),
  v: i,
}));

interface RunResult {
  outputs: Array<{ id: string; stream: string; value: unknown }>;
  finalState: Record<string, unknown>;
  timers: unknown;
  watermark: number;
  positions: Record<string, number>;
  latest: Omit<TaskCheckpoint, 'attempt'> | undefined;
  checkpointIds: number[];
  restores: Array<{ before: unknown; after: unknown }>;
}

/**
 * Feeds INPUT in batches of 7, moving processing time 300 ms per batch, checkpointing
 * every 3rd batch; after the batches listed in `crashAfter` the task is dropped
 * without a checkpoint and a new one is opened on a fresh backend from `reopen` (as
 * another process would), which replays the input from the restored positions.
 */
/** The attempt id is random per opening of a task: two runs' checkpoints differ in it alone. */
function withoutAttempt(checkpoint: TaskCheckpoint | undefined) {
  if (!checkpoint) return checkpoint;
  const { attempt, ...rest } = checkpoint;
  expect(attempt).toMatch(/^[0-9a-f]{8}$/);
  return rest;
}

async function runJob(
  job: JobSpec,
  taskId: string,
  backend: StateBackend,
  options: { crashAfter?: number[]; reopen?: () => StateBackend } = {},
): Promise<RunResult> {
  const clock = new ManualClock(1_700_000_000_000);
  const outputs: RunResult['outputs'] = [];
  const open = (b: StateBackend) =>
    StreamTask.open({
      job,
      taskId,
      backend: b,
      clock,
      logger: silentLogger,
      metrics: new JobMetrics(),
      emit: (e: Emission) =>
        outputs.push({
          id: e.record.headers['stream-gen-id'],
          stream: e.stream.kind === 'side' ? e.stream.tag : e.stream.kind,
          value: e.record.value,
        }),
    });
  const snapshot = (t: StreamTask) => ({
    timers: t.pendingTimers(),
    watermark: t.watermark,
    positions: { ...t.positions },
    checkpointId: t.checkpointId,
  });
  const restores: RunResult['restores'] = [];
  let current = backend;
  let task = await open(current);
  let atCheckpoint = snapshot(task);
  const crashes = new Set(options.crashAfter ?? []);
  for (let batch = 0; ; batch++) {
    const from = task.positions.ops ?? 0;
    if (from >= INPUT.length) break;
    const elements = INPUT.slice(from, from + 7).map((value, i) => ({ value, offset: from + i }));
    await task.processBatch('ops', elements);
    clock.advanceBy(300);
    await task.tick();
    if (batch % 3 === 2) {
      await task.checkpoint();
      atCheckpoint = snapshot(task);
    }
    if (crashes.has(batch)) {
      crashes.delete(batch);
      task.close();
      current = options.reopen ? options.reopen() : current;
      task = await open(current);
      restores.push({ before: atCheckpoint, after: snapshot(task) });
    }
  }
  await task.endInput('ops');
  await task.checkpoint();
  const finalState: Record<string, unknown> = {};
  for (const key of [...new Set(INPUT.map((e) => e.k))].sort()) {
    for (const state of ['count', 'seen', 'last', 'session']) {
      finalState[`${state}/${key}`] = await task.readState(state, key);
    }
  }
  const stores = await current.openTask({ job: job.name, task: taskId });
  const result: RunResult = {
    outputs,
    finalState,
    timers: task.pendingTimers(),
    watermark: task.watermark,
    positions: { ...task.positions },
    latest: withoutAttempt(await stores.checkpoints.latest()),
    checkpointIds: (await stores.checkpoints.list()).map((c) => c.id),
    restores,
  };
  task.close();
  return result;
}

// ---------------------------------------------------------------- standalone

describe('RedisStateBackend (standalone Redis)', () => {
  let server: Server | undefined;
  let url: string;
  let client: Redis;
  const extraClients: Redis[] = [];
  const connect = () => {
    const c = new Redis(url, { lazyConnect: false });
    extraClients.push(c);
    return c;
  };

  beforeAll(async () => {
    if (process.env.REDIS_URL) {
      url = process.env.REDIS_URL;
    } else {
      server = await startRedis();
      url = `redis://127.0.0.1:${server.port}`;
    }
    client = new Redis(url);
  }, 20_000);

  afterAll(async () => {
    for (const c of [client, ...extraClients]) c?.disconnect();
    await stopRedis(server);
  });

  it('says what it is and rejects names that would break the hash tag', async () => {
    const backend = new RedisStateBackend(client);
    expect(backend.describe()).toMatch(
      /^Redis state and checkpoints \(keys sg:\{<job>:<task>\}:\*, last 10/,
    );
    await expect(backend.openTask({ job: 'a{b', task: '0' })).rejects.toThrow(/hash tag/);
    expect(() => new RedisStateBackend(client, { keyPrefix: 'x}' })).toThrow(/hash tag/);
    expect(() => new RedisStateBackend(client, { retainCheckpoints: 0 })).toThrow(
      /retainCheckpoints/,
    );
    expect(taskKeys('sg', { job: 'ImpressionJoin', task: '3' }).state('plays')).toBe(
      'sg:{ImpressionJoin:3}:state:plays',
    );
  });

  it('round-trips value, list and map entries with expiresAt, and deletes', async () => {
    const job = uniqueJob('RoundTrip');
    const backend = new RedisStateBackend(client);
    const { state, checkpoints } = await backend.openTask({ job, task: '0' });
    expect(await checkpoints.latest()).toBeUndefined();
    expect(await checkpoints.list()).toEqual([]);
    const map = {
      'a:b': 1,
      '{x}': [1, { y: null }],
      ünï: 'çødé 🚀',
      big: 2 ** 53 - 1,
      tiny: 5e-324,
      huge: 1e308,
    };
    const writes = [
      put('value', 'k1', 42),
      put('value', 'k2', 'text with "quotes" and \\ and \n', 1_700_000_005_000),
      put('list', 'k1', [1, 'two', { three: 3 }, [4], null, true], 1_700_000_009_999),
      put('map', 'k1', map),
      put('map', '', { emptyKey: true }),
      put('map', 'key with spaces:and:colons{and}braces', { ok: 1 }),
      put('value', 'gone', 1),
    ];
    await checkpoints.commit(checkpointOf(1), writes);
    await checkpoints.commit(checkpointOf(2), [del('value', 'gone'), del('value', 'never-there')]);
    const refs = [
      ...writes.map(({ state: s, key }) => ({ state: s, key })),
      { state: 'nope', key: 'k1' },
    ];
    const got = await state.read(refs);
    expect(got).toEqual([
      { value: 42 },
      { value: 'text with "quotes" and \\ and \n', expiresAt: 1_700_000_005_000 },
      { value: [1, 'two', { three: 3 }, [4], null, true], expiresAt: 1_700_000_009_999 },
      { value: map },
      { value: { emptyKey: true } },
      { value: { ok: 1 } },
      undefined,
      undefined,
    ]);
    expect(await state.read([])).toEqual([]);
    // a second backend instance on a second connection sees the same
    const other = await new RedisStateBackend(connect()).openTask({ job, task: '0' });
    expect(await other.state.read(refs)).toEqual(got);
    expect(await other.checkpoints.latest()).toEqual(checkpointOf(2));
    expect(await other.checkpoints.list()).toEqual(
      [2, 1].map((id) => ({ id, takenAt: checkpointOf(id).takenAt, positions: { ops: id * 10 } })),
    );
    // checkpoint timestamps at the bounds of time survive exactly
    await checkpoints.commit(
      checkpointOf(3, {
        watermarks: {
          current: END_OF_TIME,
          inputs: { ops: { maxEventTime: 8.64e15, explicit: -8.64e15, ended: true } },
        },
      }),
      [],
    );
    expect((await checkpoints.latest())?.watermarks.current).toBe(END_OF_TIME);
    expect((await checkpoints.latest())?.watermarks.inputs.ops.explicit).toBe(-8.64e15);
  });

  it('reads many refs of several states in one round trip, and commits in one', async () => {
    const job = uniqueJob('RoundTrips');
    const backend = new RedisStateBackend(client);
    const { state, checkpoints } = await backend.openTask({ job, task: '0' });
    const writes: StateWrite[] = [];
    for (let i = 0; i < 400; i++) writes.push(put(['a', 'b', 'c'][i % 3], `k${i}`, i));
    await checkpoints.commit(checkpointOf(1), writes.slice(0, 10)); // loads the scripts
    await state.read([
      { state: 'a', key: 'x' },
      { state: 'b', key: 'x' },
    ]);

    const commit = await countCommands(server ?? url, client, () =>
      checkpoints.commit(checkpointOf(2), writes),
    );
    expect(commit).toEqual(['EVALSHA']);

    // 3 states x 600 refs, in shuffled order, a third missing
    const refs = Array.from({ length: 1800 }, (_, i) => ({
      state: ['a', 'b', 'c'][(i * 7) % 3],
      key: `k${(i * 337) % 600}`,
    }));
    let got: Array<unknown> = [];
    const readMany = await countCommands(
      server ?? url,
      client,
      async () => (got = await state.read(refs)),
    );
    expect(readMany).toEqual(['EVALSHA']);
    expect(got).toEqual(
      refs.map(({ state: s, key }) => {
        const i = Number(key.slice(1));
        return i < 400 && ['a', 'b', 'c'][i % 3] === s ? { value: i } : undefined;
      }),
    );
    const readOne = await countCommands(server ?? url, client, () =>
      state.read(Array.from({ length: 300 }, (_, i) => ({ state: 'a', key: `k${i}` }))),
    );
    expect(readOne).toEqual(['HMGET']);
    expect(await countCommands(server ?? url, client, () => checkpoints.latest())).toEqual([
      'EVALSHA',
    ]);
  });

  it('loads its scripts again after SCRIPT FLUSH (EVALSHA, then EVAL)', async () => {
    if (!server) return; // never flush the scripts of a shared REDIS_URL server
    const job = uniqueJob('Flush');
    const { checkpoints } = await new RedisStateBackend(client).openTask({ job, task: '0' });
    await checkpoints.commit(checkpointOf(1), [put('a', 'k', 1)]);
    await client.script('FLUSH');
    const sent = await countCommands(server, client, () =>
      checkpoints.commit(checkpointOf(2), [put('a', 'k', 2)]),
    );
    expect(sent).toEqual(['EVALSHA', 'EVAL']);
    expect((await checkpoints.latest())?.id).toBe(2);
  });

  it('commits atomically: a commit that cannot be applied whole applies nothing', async () => {
    const job = uniqueJob('Atomic');
    const backend = new RedisStateBackend(client);
    const { state, checkpoints } = await backend.openTask({ job, task: '0' });
    await checkpoints.commit(checkpointOf(1), [put('good', 'k', 1)]);
    const before = await dumpState(client, job);
    const keys = taskKeys('sg', { job, task: '0' });
    const raw = async () => ({
      head: await client.hgetall(keys.head),
      checkpoints: await client.hgetall(keys.checkpoints),
      undo: await client.hkeys(keys.undo),
      states: (await client.smembers(keys.states)).sort(),
    });
    const rawBefore = await raw();

    // 1. an entry JSON cannot hold fails in Node, before anything is sent
    await expect(
      checkpoints.commit(checkpointOf(2), [
        put('good', 'k', 2),
        put('good', 'big', 10n),
        put('new', 'k', 1),
      ]),
    ).rejects.toThrow(/BigInt/);
    // 2. a checkpoint that JSON would corrupt (Infinity becomes null)
    await expect(
      checkpoints.commit(checkpointOf(2, { watermarks: { current: Infinity, inputs: {} } }), [
        put('good', 'k', 2),
      ]),
    ).rejects.toThrow(/watermarks.current is Infinity/);
    // 3. a failure inside the script: a state key of the wrong type, met after other writes
    await client.set(keys.state('broken'), 'not a hash');
    const failed = await checkpoints
      .commit(checkpointOf(2), [put('good', 'k', 2), put('new', 'k', 1), put('broken', 'k', 1)])
      .then(
        () => undefined,
        (error: Error) => error,
      );
    await client.del(keys.state('broken'));

    expect(await dumpState(client, job)).toEqual(before);
    expect(await raw()).toEqual(rawBefore);
    expect(failed?.message).toMatch(
      /^commit of task .* failed: key .*broken holds a string, not a hash$/,
    );
    expect(await state.read([{ state: 'new', key: 'k' }])).toEqual([undefined]);
    expect((await checkpoints.latest())?.id).toBe(1);
    // and the same commit goes through once its problem is gone
    await checkpoints.commit(checkpointOf(2), [put('good', 'k', 2), put('new', 'k', 1)]);
    expect(
      await state.read([
        { state: 'good', key: 'k' },
        { state: 'new', key: 'k' },
      ]),
    ).toEqual([{ value: 2 }, { value: 1 }]);
  });

  it('fences: a commit whose id is not latest + 1 is rejected whole', async () => {
    const job = uniqueJob('Fence');
    const { state, checkpoints } = await new RedisStateBackend(client).openTask({ job, task: '0' });
    await expect(checkpoints.commit(checkpointOf(2), [put('s', 'k', 'stale')])).rejects.toThrow(
      CheckpointFencedError,
    );
    await checkpoints.commit(checkpointOf(1), [put('s', 'k', 'one')]);
    // a stale writer (same id again, as a second process restored from 0 would send)
    const stale = checkpoints.commit(checkpointOf(1, { takenAt: 5 }), [put('s', 'k', 'stale')]);
    await expect(stale).rejects.toThrow(CheckpointFencedError);
    await expect(stale).rejects.toThrow(
      /checkpoint 1 of task .*\/0 was refused: the latest checkpoint is 1, so the next must be 2/,
    );
    await expect(checkpoints.commit(checkpointOf(3), [put('s', 'k', 'ahead')])).rejects.toThrow(
      CheckpointFencedError,
    );
    expect(await state.read([{ state: 's', key: 'k' }])).toEqual([{ value: 'one' }]);
    expect(await checkpoints.latest()).toEqual(checkpointOf(1));
    await checkpoints.commit(checkpointOf(2), [put('s', 'k', 'two')]);
    expect(await state.read([{ state: 's', key: 'k' }])).toEqual([{ value: 'two' }]);
  });

  it('fences a stale task: two processes restored from the same checkpoint, the second commit loses', async () => {
    const job = probeJob(uniqueJob('FenceTasks'));
    const clock = new ManualClock(0);
    const open = (backend: StateBackend) =>
      StreamTask.open({
        job,
        taskId: '0',
        backend,
        clock,
        logger: silentLogger,
        metrics: new JobMetrics(),
        emit: () => undefined,
      });
    const a = await open(new RedisStateBackend(client));
    const b = await open(new RedisStateBackend(connect()));
    await a.processBatch('ops', [{ value: { k: 'x', ts: 1000, v: 1 }, offset: 0 }]);
    await b.processBatch('ops', [{ value: { k: 'x', ts: 1000, v: 2 }, offset: 0 }]);
    await a.checkpoint();
    await expect(b.checkpoint()).rejects.toThrow(CheckpointFencedError);
    const fresh = await open(new RedisStateBackend(client));
    expect(await fresh.readState('seen', 'x')).toEqual([1]);
    a.close();
    b.close();
    fresh.close();
  });

  it('applies a resent commit once (ioredis resends unanswered commands after a reconnect)', async () => {
    const job = uniqueJob('Resend');
    const twice = connect();
    const call = twice.call.bind(twice) as (...args: unknown[]) => Promise<unknown>;
    (twice as unknown as { call: unknown }).call = async (...args: unknown[]) => {
      if (args[0] === 'EVALSHA' || args[0] === 'EVAL') await call(...args);
      return call(...args);
    };
    const backend = new RedisStateBackend(twice);
    const { state, checkpoints } = await backend.openTask({ job, task: '0' });
    await checkpoints.commit(checkpointOf(1), [put('s', 'k', 1)]);
    await checkpoints.commit(checkpointOf(2), [put('s', 'k', 2), put('s', 'new', 1)]);
    expect(await state.read([{ state: 's', key: 'k' }])).toEqual([{ value: 2 }]);
    // the undo log of 2 holds the values before 2, not those 2 wrote (a re-applied commit would)
    await backend.rewind({ job, task: '0' }, 1);
    expect(await dumpState(client, job)).toEqual({ s: { k: '{"value":1}' } });
  });

  it('retains the last N checkpoints and the undo logs that reach them', async () => {
    const job = uniqueJob('Retain');
    const backend = new RedisStateBackend(client, { retainCheckpoints: 3 });
    const { checkpoints } = await backend.openTask({ job, task: '0' });
    for (let id = 1; id <= 5; id++) await checkpoints.commit(checkpointOf(id), [put('s', 'k', id)]);
    const keys = taskKeys('sg', { job, task: '0' });
    expect((await checkpoints.list()).map((c) => c.id)).toEqual([5, 4, 3]);
    expect((await client.hkeys(keys.checkpoints)).sort()).toEqual(['3', '4', '5']);
    expect((await client.hkeys(keys.undo)).sort()).toEqual(['4', '5']);
    await expect(backend.rewind({ job, task: '0' }, 2)).rejects.toThrow(CheckpointNotRetainedError);
    await expect(backend.rewind({ job, task: '0' }, 2)).rejects.toThrow(
      /cannot rewind task .*\/0 to checkpoint 2: it is not retained \(retained: 5, 4, 3\)/,
    );
    await expect(backend.rewind({ job, task: '0' }, 6)).rejects.toThrow(CheckpointNotRetainedError);
    await expect(backend.rewind({ job: uniqueJob('Never'), task: '0' }, 1)).rejects.toThrow(
      /retained: none/,
    );
    // a process with a smaller retention trims the older ones at its first commit
    const smaller = await new RedisStateBackend(client, { retainCheckpoints: 1 }).openTask({
      job,
      task: '0',
    });
    await smaller.checkpoints.commit(checkpointOf(6), [put('s', 'k', 6)]);
    expect((await checkpoints.list()).map((c) => c.id)).toEqual([6]);
    expect(await client.hkeys(keys.undo)).toEqual([]);
  });

  it('rewinds to an older checkpoint: exactly its state and metadata, then continues from it', async () => {
    const job = uniqueJob('Rewind');
    const scope = { job, task: '0' };
    const backend = new RedisStateBackend(client);
    const { state, checkpoints } = await backend.openTask(scope);
    const plan: StateWrite[][] = [
      [put('a', 'k1', 1), put('a', 'k2', 'x', 9_000), put('b', 'k1', [1])],
      [put('a', 'k1', 2), del('a', 'k2'), put('b', 'k1', [1, 2]), put('b', 'k3', { m: 1 })],
      [put('a', 'k2', 'back'), put('c', 'k1', { later: true }), del('b', 'k1')],
      [del('a', 'k1'), del('c', 'k1'), put('d', 'k9', 9), put('b', 'k3', { m: 2 }, 12_000)],
      [put('a', 'k1', 5), put('d', 'k9', 10)],
    ];
    const dumps: unknown[] = [await dumpState(client, job)];
    const lists: unknown[] = [[]];
    for (let i = 0; i < plan.length; i++) {
      await checkpoints.commit(checkpointOf(i + 1), plan[i]);
      dumps.push(await dumpState(client, job));
      lists.push(await checkpoints.list());
    }
    expect(await backend.rewind(scope, 5)).toEqual(checkpointOf(5)); // to the latest: nothing to do
    expect(await dumpState(client, job)).toEqual(dumps[5]);

    const restored = await backend.rewind(scope, 2);
    expect(restored).toEqual(checkpointOf(2));
    expect(await dumpState(client, job)).toEqual(dumps[2]);
    expect(await checkpoints.latest()).toEqual(checkpointOf(2));
    expect(await checkpoints.list()).toEqual(lists[2]);
    expect(
      await state.read([
        { state: 'd', key: 'k9' },
        { state: 'b', key: 'k3' },
      ]),
    ).toEqual([undefined, { value: { m: 1 } }]);
    // the old future is gone: its ids are fenced as stale, the task goes on at 3
    await expect(checkpoints.commit(checkpointOf(5), [])).rejects.toThrow(CheckpointFencedError);
    await checkpoints.commit(checkpointOf(3, { takenAt: 1 }), [put('a', 'k1', 'again')]);
    expect((await checkpoints.list()).map((c) => c.id)).toEqual([3, 2, 1]);
    // a rewind that cannot complete changes nothing
    const keys = taskKeys('sg', scope);
    const dumpBefore = await dumpState(client, job);
    await client.srem(keys.states, 'b');
    await expect(backend.rewind(scope, 1)).rejects.toThrow(
      /rewind of task .*\/0 failed: its undo logs write state "b", which .*:states does not list/,
    );
    await client.sadd(keys.states, 'b');
    expect(await dumpState(client, job)).toEqual(dumpBefore);
    expect((await checkpoints.list()).map((c) => c.id)).toEqual([3, 2, 1]);
    // and can be rewound again, past the new commit
    await backend.rewind(scope, 1);
    expect(await dumpState(client, job)).toEqual(dumps[1]);
    expect(await checkpoints.latest()).toEqual(checkpointOf(1));
    expect(await checkpoints.list()).toEqual(lists[1]);
  });

  it('runs a keyed job to the same results as the memory backend, across crashes and restores', async () => {
    const job = probeJob(uniqueJob('Suite')); // memory and Redis runs are apart anyway
    const crashAfter = [4, 7, 12];
    const memory = await runJob(job, '0', new MemoryStateBackend(), { crashAfter });
    const redis = await runJob(job, '0', new RedisStateBackend(client), {
      crashAfter,
      reopen: () => new RedisStateBackend(connect()), // as another process would
    });
    // the job did something worth comparing
    expect(memory.outputs.filter((o) => o.stream === 'main').length).toBeGreaterThan(40);
    expect(memory.outputs.some((o) => o.stream === 'late')).toBe(true);
    expect(memory.outputs.some((o) => (o.value as Fired).domain === 'processing')).toBe(true);
    expect(Object.values(memory.finalState).filter((v) => v !== undefined).length).toBeGreaterThan(
      15,
    );
    expect(memory.restores).toHaveLength(3);
    // each restore brought back the timers, watermark and positions of the checkpoint
    for (const run of [memory, redis]) {
      for (const { before, after } of run.restores) expect(after).toEqual(before);
    }
    expect(redis).toEqual(memory);

    // exactly-once state: the counts equal those of a failure-free run
    const clean = await runJob(job, '0', new MemoryStateBackend());
    const counts = (r: RunResult) =>
      Object.entries(r.finalState).filter(([name]) => name.startsWith('count/'));
    expect(counts(redis)).toEqual(counts(clean));
    expect(redis.latest?.id).toBe(memory.latest?.id);
  });

  it('fails the checkpoint of a task whose state JSON cannot hold, leaving Redis as it was', async () => {
    const name = uniqueJob('BigIntJob');
    const job: JobSpec = {
      ...probeJob(name),
      operator: {
        kind: 'process',
        name: 'bad',
        input: 'ops',
        create: () => new BigIntState(),
      },
    };
    const task = await StreamTask.open({
      job,
      taskId: '0',
      backend: new RedisStateBackend(client),
      clock: new ManualClock(0),
      logger: silentLogger,
      metrics: new JobMetrics(),
      emit: () => undefined,
    });
    await task.processBatch('ops', [{ value: { k: 'a', ts: 1, v: 1 }, offset: 0 }]);
    await expect(task.checkpoint()).rejects.toThrow(/BigInt/);
    expect(await client.keys(`sg:{${name}:0}:*`)).toEqual([]);
    task.close();
  });

  it('snapshots a checkpoint when asked: input processed during its commit goes into the next', async () => {
    const job = probeJob(uniqueJob('Overlap'));
    const backend = new RedisStateBackend(client);
    const task = await StreamTask.open({
      job,
      taskId: '0',
      backend,
      clock: new ManualClock(0),
      logger: silentLogger,
      metrics: new JobMetrics(),
      emit: () => undefined,
    });
    const batch = (from: number, to: number) =>
      INPUT.slice(from, to).map((value, i) => ({ value, offset: from + i }));
    await task.processBatch('ops', batch(0, 10));
    const first = task.checkpoint(); // in flight while the next batch runs
    await task.processBatch('ops', batch(10, 20));
    const second = task.checkpoint(); // waits for the first, then snapshots
    await task.processBatch('ops', batch(20, 30));
    expect((await first).positions).toEqual({ ops: 10 });
    expect((await second).positions).toEqual({ ops: 30 });
    await task.processBatch('ops', batch(30, 40)); // not checkpointed
    task.close();

    // A process restored from the second checkpoint sees exactly the first 30 elements.
    const restored = await StreamTask.open({
      job,
      taskId: '0',
      backend: new RedisStateBackend(connect()),
      clock: new ManualClock(0),
      logger: silentLogger,
      metrics: new JobMetrics(),
      emit: () => undefined,
    });
    expect(restored.positions).toEqual({ ops: 30 });
    const counts: Record<string, unknown> = {};
    for (let k = 0; k < 7; k++) counts[`key-${k}`] = await restored.readState('count', `key-${k}`);
    const expected: Record<string, number> = {};
    for (const e of INPUT.slice(0, 30)) expected[e.k] = (expected[e.k] ?? 0) + 1;
    expect(counts).toEqual(expected);
    restored.close();
  });

  it('keeps the keys of the batch that runs while a commit is in flight, however small the cache', async () => {
    const job = probeJob(uniqueJob('OverlapTrim'));
    const streams: string[] = [];
    const redis = new RedisStateBackend(client);
    // Reads answer 50 ms late, so the commit surely settles while a batch waits for one.
    const slowReads: StateBackend = {
      describe: () => redis.describe(),
      close: () => redis.close(),
      openTask: async (scope) => {
        const stores = await redis.openTask(scope);
        const read: typeof stores.state.read = async (refs) => {
          const found = await stores.state.read(refs);
          await sleep(50);
          return found;
        };
        return { ...stores, state: { read, scan: (state) => stores.state.scan(state) } };
      },
    };
    const task = await StreamTask.open({
      job,
      taskId: '0',
      backend: slowReads,
      clock: new ManualClock(0),
      logger: silentLogger,
      metrics: new JobMetrics(),
      emit: (e) => streams.push(e.stream.kind === 'side' ? e.stream.tag : e.stream.kind),
      maxCachedEntries: 5,
    });
    const at = (i: number, k: string) => ({ value: { k, ts: 1_000 + i, v: i }, offset: i });
    // 7 keys cached (more than 5), then a batch of the same keys plus a new one, whose
    // read is answered after the commit: the cached keys must still be there.
    await task.processBatch(
      'ops',
      [0, 1, 2, 3, 4, 5, 6].map((i) => at(i, `key-${i}`)),
    );
    const committed = task.checkpoint();
    await task.processBatch('ops', [
      at(7, 'key-new'),
      ...[0, 1, 2].map((i) => at(8 + i, `key-${i}`)),
    ]);
    await committed;
    expect(streams.filter((s) => s !== 'main')).toEqual([]);
    expect(await task.readState('count', 'key-0')).toBe(2);
    task.close();
  });
});

// ---------------------------------------------------------------- cluster

describe('RedisStateBackend (Redis Cluster, 3 masters)', () => {
  const servers: Server[] = [];
  let dir: string;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-redis-cluster-'));
    try {
      for (let i = 0; i < 3; i++) {
        const bus = await freePort();
        servers.push(
          await startRedis((port) => [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-port',
            String(bus),
            '--dir',
            dir,
          ]),
        );
      }
      const create = spawnSync(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...servers.map((s) => `127.0.0.1:${s.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (create.error) {
        throw (create.error as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error(INSTALL_HINT)
          : create.error;
      }
      if (create.status !== 0)
        throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
      for (const s of servers) {
        const node = new Redis({ port: s.port, host: '127.0.0.1' });
        try {
          let info = '';
          for (let i = 0; i < 400 && !info.includes('cluster_state:ok'); i++) {
            info = (await node.cluster('INFO')) as string;
            if (!info.includes('cluster_state:ok')) await sleep(25);
          }
          if (!info.includes('cluster_state:ok'))
            throw new Error(`node ${s.port} never reached cluster_state:ok:\n${info}`);
        } finally {
          node.disconnect();
        }
      }
      cluster = new Cluster([{ host: '127.0.0.1', port: servers[0].port }]);
      await cluster.ping();
    } catch (error) {
      await stopAll();
      throw error;
    }
  }, 60_000);

  async function stopAll() {
    cluster?.disconnect();
    cluster = undefined;
    await Promise.all(servers.map((s) => stopRedis(s)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  afterAll(stopAll);

  /** The port of the master that holds a key. */
  async function ownerOf(key: string): Promise<number> {
    const c = cluster as Cluster;
    const slot = (await c.cluster('KEYSLOT', key)) as number;
    const slots = await c.cluster('SLOTS');
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no node serves slot ${slot}`);
    return range[2][1];
  }

  it('commits, reads and rewinds tasks whose hash tags land on different nodes', async () => {
    const c = cluster as Cluster;
    const job = uniqueJob('ClusterJob');
    // one task per master
    const byNode = new Map<number, string>();
    for (let t = 0; byNode.size < 3 && t < 200; t++) {
      const port = await ownerOf(taskKeys('sg', { job, task: String(t) }).head);
      if (!byNode.has(port)) byNode.set(port, String(t));
    }
    expect(byNode.size).toBe(3);
    const backend = new RedisStateBackend(c, { retainCheckpoints: 5 });
    expect(backend.describe()).toMatch(/^Redis Cluster state/);
    for (const [port, task] of byNode) {
      const scope = { job, task };
      const { state, checkpoints } = await backend.openTask(scope);
      const dumps: unknown[] = [];
      for (let id = 1; id <= 4; id++) {
        await checkpoints.commit(checkpointOf(id), [
          put('a', `k${id}`, id),
          put('b', 'shared', { task, id }),
          ...(id === 3 ? [del('a', 'k1')] : []),
        ]);
        dumps.push(await dumpState(c, job, task));
      }
      // every key of the task sits on the node that owns its tag
      const keys = taskKeys('sg', scope);
      const direct = new Redis({ port, host: '127.0.0.1' });
      try {
        expect(
          await direct.exists(
            keys.head,
            keys.checkpoints,
            keys.undo,
            keys.states,
            keys.state('a'),
            keys.state('b'),
          ),
        ).toBe(6);
      } finally {
        direct.disconnect();
      }
      const refs = [1, 2, 3, 4].flatMap((i) => [
        { state: 'a', key: `k${i}` },
        { state: 'b', key: 'shared' },
      ]);
      expect(await state.read(refs)).toEqual([
        undefined,
        { value: { task, id: 4 } },
        { value: 2 },
        { value: { task, id: 4 } },
        { value: 3 },
        { value: { task, id: 4 } },
        { value: 4 },
        { value: { task, id: 4 } },
      ]);
      expect(await backend.rewind(scope, 2)).toEqual(checkpointOf(2));
      expect(await dumpState(c, job, task)).toEqual(dumps[1]);
      expect((await checkpoints.list()).map((i) => i.id)).toEqual([2, 1]);
      await expect(checkpoints.commit(checkpointOf(4), [])).rejects.toThrow(CheckpointFencedError);
      await checkpoints.commit(checkpointOf(3), [put('a', 'k3', 'again')]);
      expect(await state.read([{ state: 'a', key: 'k3' }])).toEqual([{ value: 'again' }]);
    }
  });

  it('runs the keyed job on the cluster to the same results as the memory backend', async () => {
    const c = cluster as Cluster;
    const name = uniqueJob('ClusterSuite');
    for (const task of ['0', '1', '2']) {
      const memory = await runJob(probeJob(name), task, new MemoryStateBackend(), {
        crashAfter: [5],
      });
      const redis = await runJob(probeJob(name), task, new RedisStateBackend(c), {
        crashAfter: [5],
      });
      expect(redis).toEqual(memory);
    }
  });
});

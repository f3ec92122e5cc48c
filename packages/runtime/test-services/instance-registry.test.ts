/**
 * The instance registry against the test run's redis-server: what a heartbeat writes and
 * when (the first beat as it starts, one every interval, a last one marking it stopped),
 * the task owners of state queries sent with the same beats, pruning of instances gone
 * for long, a job's status from the registry and its checkpoints, and a heartbeat that
 * cannot reach Redis. Each test has key prefix of its own.
 */
import { Redis } from 'ioredis';
import {
  BEGINNING_OF_TIME,
  CheckpointAdmin,
  InstanceHeartbeat,
  InstanceRegistry,
  JobMetrics,
  KEEP_GONE_MS,
  RedisStateBackend,
  instanceState,
  jobStatus,
  jobVersion,
  type InstanceHeartbeatOptions,
  type InstanceRecord,
  type JobSpec,
  type Logger,
  type TaskStatus,
} from '../src';
import { sendAll } from '../src/connectors/view-cache/view-cache-scripts';
import { TaskOwners } from '../src/query/task-owners';
import { redisTarget, type RedisTarget } from '../src/runner/redis-target';
import { testServices } from './services';

let counter = 0;
const uniquePrefix = () => `sg:registry-${process.pid}-${Date.now().toString(36)}-${counter++}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: Redis;
let target: RedisTarget;
const started: InstanceHeartbeat[] = [];

beforeAll(() => {
  redis = new Redis(testServices().redisUrl);
  target = redisTarget({ REDIS_URL: testServices().redisUrl }) as RedisTarget;
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop()));
});
afterAll(() => redis.quit());

/** A job's side of a heartbeat: tasks and counters the test sets. */
function fakeJob(tasks: TaskStatus[] = []) {
  return {
    tasks,
    metrics: new JobMetrics(),
    status() {
      return this.tasks;
    },
  };
}

const task = (id: string, checkpoint = 0): TaskStatus => ({
  task: id,
  watermark: BEGINNING_OF_TIME,
  positions: { clicks: checkpoint * 10 },
  checkpoint,
});

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A heartbeat of job Clicks beating every 100 ms, stopped after the test. */
function heartbeat(
  keyPrefix: string,
  source: ReturnType<typeof fakeJob>,
  overrides: Partial<InstanceHeartbeatOptions> = {},
): InstanceHeartbeat {
  const beat = new InstanceHeartbeat({
    job: 'Clicks',
    version: 'v1',
    target,
    keyPrefix,
    source,
    logger: recordingLogger(),
    intervalMs: 100,
    ...overrides,
  });
  started.push(beat);
  return beat;
}

async function stored(keyPrefix: string, job: string, instance: string): Promise<InstanceRecord> {
  const text = await redis.hget(`${keyPrefix}:instances:{${job}}`, instance);
  if (text === null) throw new Error(`no record of ${instance}`);
  return JSON.parse(text) as InstanceRecord;
}

describe('InstanceHeartbeat', () => {
  it('registers as it starts, then rewrites its record with the tasks and counters every beat', async () => {
    const keyPrefix = uniquePrefix();
    const job = fakeJob([task('0', 3)]);
    job.metrics.recordsIn = 12;
    job.metrics.mainOut = 10;
    job.metrics.deadLetters = 2;
    const before = Date.now();
    const beat = heartbeat(keyPrefix, job);
    await beat.start();

    const first = await stored(keyPrefix, 'Clicks', beat.instance);
    expect(first).toEqual({
      job: 'Clicks',
      instance: beat.instance,
      host: expect.any(String),
      pid: process.pid,
      version: 'v1',
      startedAt: expect.any(Number),
      lastHeartbeat: expect.any(Number),
      heartbeatMs: 100,
      tasks: [task('0', 3)],
      counters: {
        recordsIn: 12,
        recordsOut: 10,
        late: 0,
        deadLetters: 2,
        timersFired: 0,
        checkpoints: 0,
      },
    });
    expect(first.startedAt).toBeGreaterThanOrEqual(before);
    expect(first.lastHeartbeat).toBeGreaterThanOrEqual(first.startedAt);
    expect(await redis.zscore(`${keyPrefix}:jobs`, 'Clicks')).toBe(String(first.lastHeartbeat));
    const ttl = await redis.pttl(`${keyPrefix}:instances:{Clicks}`);
    expect(ttl).toBeGreaterThan(KEEP_GONE_MS - 60_000);

    job.tasks = [task('0', 4), task('1', 1)];
    job.metrics.recordsIn = 20;
    await sleep(350);
    const later = await stored(keyPrefix, 'Clicks', beat.instance);
    expect(later.lastHeartbeat).toBeGreaterThan(first.lastHeartbeat);
    expect(later.startedAt).toBe(first.startedAt);
    expect(later.tasks).toEqual([task('0', 4), task('1', 1)]);
    expect(later.counters.recordsIn).toBe(20);
    expect(instanceState(later, Date.now())).toBe('running');
  });

  it('counts an instance gone after three missed beats, and stopped after its last beat', async () => {
    const keyPrefix = uniquePrefix();
    const beat = heartbeat(keyPrefix, fakeJob([task('0')]));
    await beat.start();
    const record = await stored(keyPrefix, 'Clicks', beat.instance);
    expect(instanceState(record, record.lastHeartbeat + 300)).toBe('running');
    expect(instanceState(record, record.lastHeartbeat + 301)).toBe('gone');

    await beat.stop();
    const last = await stored(keyPrefix, 'Clicks', beat.instance);
    expect(last.stoppedAt).toBe(last.lastHeartbeat);
    expect(last.tasks).toEqual([]);
    expect(instanceState(last, Date.now())).toBe('stopped');
    // no beat after the last one
    await sleep(300);
    expect(await stored(keyPrefix, 'Clicks', beat.instance)).toEqual(last);
  });

  it('drops the records of instances gone for over an hour, and jobs whose last beat is that old', async () => {
    const keyPrefix = uniquePrefix();
    const registry = new InstanceRegistry(redis, keyPrefix);
    const now = Date.now();
    const old = (job: string, instance: string, ago: number): InstanceRecord => ({
      job,
      instance,
      host: 'h',
      pid: 1,
      version: 'v0',
      startedAt: now - ago - 1000,
      lastHeartbeat: now - ago,
      heartbeatMs: 1000,
      tasks: [],
      counters: {
        recordsIn: 0,
        recordsOut: 0,
        late: 0,
        deadLetters: 0,
        timersFired: 0,
        checkpoints: 0,
      },
    });
    await sendAll(redis, [
      ...registry.beat(old('Clicks', 'long-gone', KEEP_GONE_MS + 1000)),
      ...registry.beat(old('Clicks', 'just-gone', 60_000)),
      ...registry.beat(old('Forgotten', 'f1', KEEP_GONE_MS + 1000)),
    ]);
    const beat = heartbeat(keyPrefix, fakeJob());
    await beat.start();
    const left = (await registry.instances('Clicks')).map((r) => r.instance);
    expect(left.sort()).toEqual([beat.instance, 'just-gone'].sort());
    expect((await registry.jobs()).map((j) => j.job)).toEqual(['Clicks']);
  });

  it('sends the task owners of state queries with its beats, and releases them as it leaves', async () => {
    const keyPrefix = uniquePrefix();
    const job = fakeJob();
    const beat = heartbeat(keyPrefix, job);
    await beat.start();
    const owners = new TaskOwners(redis, keyPrefix, 'Clicks', beat.instance, 'http://h:1');
    const settled: Array<Error | undefined> = [];
    let tasks = ['0', '1'];
    let sent = owners.announcement([], 0);
    const part = {
      commands: (now: number) => {
        sent = owners.announcement(tasks, now + 500);
        return sent.commands;
      },
      settled: (error: Error | undefined) => {
        if (!error) sent.confirm();
        settled.push(error);
      },
      leave: () => owners.announcement([], 0).commands,
    };
    await beat.join(part);
    expect(settled).toEqual([undefined]);
    expect((await owners.owner('1', Date.now()))?.instance).toBe(beat.instance);

    tasks = ['1'];
    await sleep(250);
    expect(await owners.owner('0', Date.now())).toBeUndefined();
    expect((await owners.owner('1', Date.now()))?.url).toBe('http://h:1');

    await beat.leave(part);
    expect(await redis.hkeys(`${keyPrefix}:owners:{Clicks}`)).toEqual([]);
    const count = settled.length;
    await sleep(250);
    expect(settled).toHaveLength(count);
  });

  it("tells a part its own commands' error, not the beat's", async () => {
    const keyPrefix = uniquePrefix();
    await redis.set(`${keyPrefix}:owners:{Clicks}`, 'not a hash');
    const beat = heartbeat(keyPrefix, fakeJob([task('0')]));
    await beat.start();
    const errors: Array<Error | undefined> = [];
    await beat.join({
      commands: () => [['HSET', `${keyPrefix}:owners:{Clicks}`, '0', 'x']],
      settled: (error) => errors.push(error),
      leave: () => [],
    });
    expect(errors[0]?.message).toMatch(/^WRONGTYPE/);
    // the beat itself went through
    expect((await stored(keyPrefix, 'Clicks', beat.instance)).tasks).toEqual([task('0')]);
  });

  it('runs on when Redis cannot be reached, and says so once', async () => {
    const logger = recordingLogger();
    const beat = heartbeat(uniquePrefix(), fakeJob(), {
      target: redisTarget({ REDIS_URL: 'redis://127.0.0.1:1' }) as RedisTarget,
      logger,
    });
    await beat.start();
    await sleep(400);
    const warnings = logger.lines.filter((l) => l.startsWith('warn '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warn registry: cannot write this instance's heartbeat \(/);
  });
});

describe('jobStatus', () => {
  it("shows each task with its running owner's report and its latest checkpoint in Redis", async () => {
    const keyPrefix = uniquePrefix();
    const backend = new RedisStateBackend(redis, { keyPrefix });
    const takenAt = Date.now() - 5000;
    for (const [id, count] of [
      ['0', 2],
      ['1', 1],
    ] as const) {
      const { checkpoints } = await backend.openTask({ job: 'Clicks', task: id });
      for (let n = 1; n <= count; n++) {
        await checkpoints.commit(
          {
            id: n,
            takenAt: takenAt + n,
            positions: { clicks: n * 10 },
            watermarks: { current: BEGINNING_OF_TIME, inputs: {} },
            timers: { event: [], processing: [] },
          },
          [],
        );
      }
    }
    const beat = heartbeat(keyPrefix, fakeJob([task('0', 2)]));
    await beat.start();
    const registry = new InstanceRegistry(redis, keyPrefix);
    const now = Date.now();
    const status = await jobStatus(
      registry,
      new CheckpointAdmin(redis, { keyPrefix }),
      'Clicks',
      now,
    );
    expect(status.instances.map((i) => [i.instance, i.state])).toEqual([
      [beat.instance, 'running'],
    ]);
    expect(status.tasks).toEqual([
      {
        task: '0',
        instance: beat.instance,
        watermark: BEGINNING_OF_TIME,
        positions: { clicks: 20 },
        checkpoint: { id: 2, takenAt: takenAt + 2, ageMs: now - takenAt - 2 },
      },
      { task: '1', checkpoint: { id: 1, takenAt: takenAt + 1, ageMs: now - takenAt - 1 } },
    ]);

    await expect(
      jobStatus(registry, new CheckpointAdmin(redis, { keyPrefix }), 'Nope', now),
    ).rejects.toThrow(
      'job "Nope" has no instance in the registry and no checkpoints; jobs registered: Clicks.',
    );
  });
});

describe('jobVersion', () => {
  const spec = (source: string, order: 'ab' | 'ba' = 'ab'): JobSpec => {
    const eventTime = { timestamp: (c: { ts: number }) => c.ts, maxOutOfOrdernessMs: 1000 };
    return {
      name: 'Clicks',
      sources: [
        order === 'ab'
          ? { name: source, key: (c: { u: string }) => c.u, eventTime }
          : { eventTime, key: (c: { user: string }) => c.user, name: source },
      ],
      outputs: { main: 'counts' },
    };
  };

  it('is the same for the same spec, whatever its field order and functions', () => {
    expect(jobVersion(spec('clicks'), ['counts'])).toMatch(/^[0-9a-f]{12}$/);
    expect(jobVersion(spec('clicks', 'ba'), ['counts'])).toBe(
      jobVersion(spec('clicks'), ['counts']),
    );
  });

  it('changes with a name or a sink', () => {
    const base = jobVersion(spec('clicks'), ['counts']);
    expect(jobVersion(spec('taps'), ['counts'])).not.toBe(base);
    expect(jobVersion(spec('clicks'), ['counts', 'dead'])).not.toBe(base);
  });
});

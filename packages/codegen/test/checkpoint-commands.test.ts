/**
 * `stream-gen checkpoints / savepoint / rewind`, in process (`main(argv, io)`), against
 * the test run's redis-server (REDIS_URL is set for each test). Checkpoints are written
 * with the Redis state backend, with fixed times, so the output is known to the letter
 * (but for byte counts, which depend on the Redis build).
 */
import { Redis } from 'ioredis';
import { BEGINNING_OF_TIME, RedisStateBackend, type TaskCheckpoint } from '@stream-gen/runtime';
import { join } from 'node:path';
import { testServices } from '../../runtime/test-services/services';
import { cli } from './run-cli';

const FIXTURE = join(__dirname, 'fixtures/golden-project');
const BASE = Date.UTC(2024, 4, 1, 10, 0, 0); // 2024-05-01T10:00:00.000Z

/** Byte counts depend on the Redis build: `(123 B)` becomes `(N B)`. */
const sizes = (text: string) => text.replace(/\(\d+(\.\d)? k?B\)/g, '(N B)');

let counter = 0;
const uniqueJob = (name: string) =>
  `${name}_${process.pid}_${Date.now().toString(36)}_${counter++}`;

const checkpoint = (id: number): TaskCheckpoint => ({
  id,
  takenAt: BASE + id * 1000,
  positions: { clicks: id * 10 },
  watermarks: { current: id === 1 ? BEGINNING_OF_TIME : BASE - 60_000 + id * 1000, inputs: {} },
  timers: { event: [{ key: 'u1', timestamp: BASE + id }], processing: [] },
});

let redis: Redis;
const env = { ...process.env };

/** Commits `count` checkpoints for each task; each writes state `count` of u<id % 3> and `seen` of x. */
async function seed(job: string, tasks: Record<string, number>, keyPrefix = 'sg'): Promise<void> {
  const backend = new RedisStateBackend(redis, { keyPrefix });
  for (const [task, count] of Object.entries(tasks)) {
    const { checkpoints } = await backend.openTask({ job, task });
    for (let id = 1; id <= count; id++) {
      await checkpoints.commit(checkpoint(id), [
        { state: 'count', key: `u${id % 3}`, entry: { value: id } },
        { state: 'seen', key: 'x', entry: { value: [id] } },
      ]);
    }
  }
}

beforeAll(() => {
  redis = new Redis(testServices().redisUrl);
});
beforeEach(() => {
  process.env.REDIS_URL = testServices().redisUrl;
  delete process.env.STREAM_GEN_NAMESPACE;
});
afterEach(() => {
  process.env = { ...env };
});
afterAll(() => redis.quit());

/** A checkpoint row as the tables print it; `extra`: the cell before positions, padded. */
const row = (id: number, extra?: string) =>
  [
    String(id).padEnd(10),
    `2024-05-01T10:00:${String(id).padStart(2, '0')}.000Z`,
    (id === 1 ? '-' : `2024-05-01T09:59:${String(id).padStart(2, '0')}.000Z`).padEnd(24),
    ...(extra === undefined ? [] : [extra]),
    `clicks=${id * 10}`,
  ].join('  ');

/** The timers cell of the checkpoints listing (header "timers"), and the keys cell of savepoints. */
const TIMERS = '1'.padEnd('timers'.length);
const KEYS = '4'.padEnd('keys'.length);

describe('stream-gen checkpoints', () => {
  it('lists every task: its state, its retained checkpoints newest first, its savepoints', async () => {
    const job = uniqueJob('List');
    await seed(job, { '0': 3, '1': 12 });
    const r = await cli('checkpoints', job);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(sizes(r.out).split('\n')).toEqual([
      `job ${job}: 2 task(s), keys sg:{${job}:<task>}:*`,
      '',
      'task 0: latest checkpoint 3',
      '  state: count 3 keys (N B), seen 1 keys (N B)',
      '  checkpoint  taken at                  watermark                 timers  positions',
      `  ${row(3, TIMERS)}`,
      `  ${row(2, TIMERS)}`,
      `  ${row(1, TIMERS)}`,
      '  savepoints: none',
      '',
      'task 1: latest checkpoint 12',
      '  state: count 3 keys (N B), seen 1 keys (N B)',
      '  checkpoint  taken at                  watermark                 timers  positions',
      ...[12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((id) => `  ${row(id, TIMERS)}`),
      '  savepoints: none',
    ]);
  });

  it('--json prints the same as JSON', async () => {
    const job = uniqueJob('Json');
    await seed(job, { '0': 2 });
    const r = await cli('checkpoints', job, '--json');
    expect(r.code).toBe(0);
    const summary = (id: number) => {
      const { timers, ...rest } = checkpoint(id);
      return { ...rest, timers: { event: timers.event.length, processing: 0 } };
    };
    expect(JSON.parse(r.out)).toEqual({
      job,
      keyPrefix: 'sg',
      tasks: [
        {
          task: '0',
          latest: 2,
          rewinds: 0,
          states: [
            { state: 'count', keys: 2, bytes: expect.any(Number) },
            { state: 'seen', keys: 1, bytes: expect.any(Number) },
          ],
          checkpoints: [summary(2), summary(1)],
          savepoints: [],
        },
      ],
    });
  });

  it('reads the keys of STREAM_GEN_NAMESPACE', async () => {
    const job = uniqueJob('Namespaced');
    await seed(job, { '0': 1 }, 'sg:staging');
    expect((await cli('checkpoints', job)).code).toBe(1);
    process.env.STREAM_GEN_NAMESPACE = 'staging';
    const r = await cli('checkpoints', job);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(`job ${job}: 1 task(s), keys sg:staging:{${job}:<task>}:*`);
  });
});

describe('stream-gen savepoint and rewind', () => {
  it('records a savepoint, rewinds to a checkpoint and to the savepoint, and drops it', async () => {
    const job = uniqueJob('Flow');
    await seed(job, { '0': 4, '1': 4 });
    const saved = await cli('savepoint', job, '--name', 'before-fix');
    expect(saved).toEqual({
      code: 0,
      out: [
        `recorded savepoint "before-fix" of job ${job} for 2 task(s):`,
        '  task  checkpoint  taken at                  watermark                 keys  positions',
        `  0     ${row(4, KEYS)}`,
        `  1     ${row(4, KEYS)}`,
        `rewind to it with: stream-gen rewind ${job} --to before-fix`,
      ].join('\n'),
      err: '',
    });
    const listed = (await cli('checkpoints', job)).out.split('\n');
    expect(listed).toContain(
      '  savepoint   saved at                  checkpoint  taken at                  watermark                 keys  positions',
    );
    expect(listed.filter((l) => l.startsWith('  before-fix  '))).toHaveLength(2);

    expect(await cli('rewind', job, '--to', '2')).toEqual({
      code: 0,
      out: [
        `rewound job ${job} to checkpoint 2 (2 task(s)):`,
        '  task  before  checkpoint  taken at                  watermark                 positions',
        `  0     4       ${row(2)}`,
        `  1     4       ${row(2)}`,
        'start the job again: each task resumes from these positions with the restored state',
      ].join('\n'),
      err: '',
    });
    const back = await cli('rewind', job, '--to', 'before-fix');
    expect(back.code).toBe(0);
    expect(back.out.split('\n').slice(0, 3)).toEqual([
      `rewound job ${job} to savepoint "before-fix" (2 task(s)):`,
      '  task  before  checkpoint  taken at                  watermark                 positions',
      `  0     2       ${row(4)}`,
    ]);
    expect((await cli('checkpoints', job)).out.split('\n')[2]).toBe(
      'task 0: latest checkpoint 4, rewound 2 time(s)',
    );

    const again = await cli('savepoint', job, '--name', 'before-fix');
    expect(again.code).toBe(1);
    expect(again.err).toContain(
      `stream-gen savepoint: cannot record savepoint "before-fix" of job ${job}: it exists already`,
    );
    expect(await cli('savepoint', job, '--drop', 'before-fix')).toEqual({
      code: 0,
      out: `dropped savepoint "before-fix" of job ${job} (tasks 0, 1)`,
      err: '',
    });
  });

  it('names the tasks that do not retain a checkpoint and what they retain, and changes nothing', async () => {
    const job = uniqueJob('NotRetained');
    await seed(job, { '0': 12, '1': 3 });
    const before = await cli('checkpoints', job, '--json');
    expect(await cli('rewind', job, '--to', '1')).toEqual({
      code: 1,
      out: '',
      err: [
        `stream-gen rewind: cannot rewind job ${job} to checkpoint 1; nothing was changed:`,
        '  task 0 does not retain it: it retains checkpoints 12, 11, 10, 9, 8, 7, 6, 5, 4, 3',
      ].join('\n'),
    });
    const missing = await cli('rewind', job, '--to', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('  task 1 has no savepoint "nope" (its savepoints: none)');
    expect(await cli('checkpoints', job, '--json')).toEqual(before);
  });
});

describe('errors', () => {
  it('REDIS_URL unset: says what to set, exit 1', async () => {
    delete process.env.REDIS_URL;
    for (const argv of [
      ['checkpoints', 'Job'],
      ['savepoint', 'Job'],
      ['rewind', 'Job', '--to', '3'],
    ]) {
      expect(await cli(...argv)).toEqual({
        code: 1,
        out: '',
        err:
          `stream-gen ${argv[0]}: REDIS_URL is not set: the checkpoints of a job are in the Redis ` +
          'its runners use; set REDIS_URL=redis://host:6379, or REDIS_CLUSTER_NODES=host:port,host:port for a ' +
          'Redis Cluster (and STREAM_GEN_NAMESPACE when the job runs with one)',
      });
    }
  });

  it('Redis unreachable: names the URL without its password, exit 1', async () => {
    process.env.REDIS_URL = 'redis://me:secret@127.0.0.1:1';
    const r = await cli('checkpoints', 'Job');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^stream-gen checkpoints: cannot connect to Redis at redis:\/\/me:\*\*\*@127\.0\.0\.1:1: /,
    );
  });

  it('a job without checkpoints: names the jobs that have some, exit 1', async () => {
    const job = uniqueJob('Known');
    await seed(job, { '0': 1 });
    const r = await cli('checkpoints', `${job}x`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(
        `^stream-gen checkpoints: no checkpoints of job "${job}x" in Redis \\(keys sg:\\{${job}x:<task>\\}:\\*\\); jobs with checkpoints there: .*\\b${job}\\b`,
      ),
    );
  });

  it('--project checks the job against the project first', async () => {
    expect(await cli('checkpoints', 'Nope', '--project', FIXTURE)).toEqual({
      code: 1,
      out: '',
      err: `no job "Nope" in ${FIXTURE} (jobs: ClickAttribution, SessionTracker)`,
    });
    const known = await cli('rewind', 'SessionTracker', '--to', '1', '--project', FIXTURE);
    expect(known.err).toMatch(/^stream-gen rewind: no checkpoints of job "SessionTracker"/);
  });

  it.each([
    [['rewind', 'Job'], 'say where to rewind to: --to <checkpoint-id|savepoint|time>'],
    [['rewind', 'Job', '--to', 'bad name'], 'savepoint name "bad name" must start with a letter'],
    [['rewind', 'Job', '--to', '0'], 'a checkpoint id is an integer >= 1, got "0"'],
    [['rewind', 'Job', '--to', '2024-13-45T00:00:00Z'], 'is not a time'],
    [
      ['savepoint', 'Job', '--name', 'a', '--drop', 'b'],
      'give --name (to record a savepoint) or --drop',
    ],
    [['savepoint', 'Job', '--name', '9lives'], 'savepoint name "9lives" must start with a letter'],
    [['checkpoints'], 'name the job, e.g. stream-gen checkpoints ImpressionJoin'],
    [['checkpoints', 'Job', '--json=yes'], 'option --json takes no value'],
  ])('%j is a usage error: exit 2 with the usage', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(message);
    expect(r.err).toContain(`Usage: stream-gen ${argv[0]} <Job>`);
  });
});

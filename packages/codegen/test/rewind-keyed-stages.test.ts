/**
 * `stream-gen savepoint / rewind` of a job with a keyed stage behind a repartition, in
 * process, against the test run's redis-server: checkpoints written with the Redis
 * state backend as such a job's tasks write them (task 0 feeds stream "mid", task
 * "tot/0" reads it through its exchange), so the output is known to the letter.
 */
import { Redis } from 'ioredis';
import { BEGINNING_OF_TIME, RedisStateBackend, type TaskCheckpoint } from '@stream-gen/runtime';
import { testServices } from '../../runtime/test-services/services';
import { cli } from './run-cli';

const BASE = Date.UTC(2024, 4, 1, 10, 0, 0);
let counter = 0;
const uniqueJob = (name: string) =>
  `${name}_${process.pid}_${Date.now().toString(36)}_${counter++}`;

/** Checkpoint `id` of the task feeding the stage, or of the stage (which applied `applied`). */
const checkpoint = (id: number, applied?: number): TaskCheckpoint => ({
  id,
  takenAt: BASE + id * 1000,
  positions: applied === undefined ? { evs: id * 10 } : { mid: id * 3 },
  watermarks: { current: BEGINNING_OF_TIME, inputs: {} },
  timers: { event: [], processing: [] },
  attempt: 'a1',
  ...(applied === undefined
    ? { stream: 'mid' }
    : {
        exchangeSource: 'mid',
        exchange: { '0': { epoch: applied, attempt: 'a1', watermark: 0, ended: false } },
      }),
});

let redis: Redis;
const env = { ...process.env };

/** Commits checkpoints from..to of task 0, and of tot/0, which applied epoch id + lead of task 0. */
async function run(job: string, from: number, to: number, lead: number): Promise<void> {
  const backend = new RedisStateBackend(redis);
  const up = (await backend.openTask({ job, task: '0' })).checkpoints;
  const down = (await backend.openTask({ job, task: 'tot/0' })).checkpoints;
  for (let id = from; id <= to; id++) {
    await up.commit(checkpoint(id), [{ state: 'seen', key: 'k', entry: { value: id } }]);
    await down.commit(checkpoint(id, id + lead), [
      { state: 'sum', key: 'g', entry: { value: id } },
    ]);
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

describe('stream-gen rewind of a job with a keyed stage', () => {
  it('refuses a stage checkpoint ahead of its upstream, names it, and changes nothing', async () => {
    const job = uniqueJob('Staged');
    await run(job, 1, 4, 1);
    const before = await cli('checkpoints', job, '--json');
    expect(await cli('rewind', job, '--to', '3')).toEqual({
      code: 1,
      out: '',
      err: [
        `stream-gen rewind: cannot rewind job ${job} to checkpoint 3; nothing was changed:`,
        '  task tot/0 goes to checkpoint 3, which applied epoch 4 of upstream task 0, but task 0 ' +
          'goes to checkpoint 3: its state would hold input that task processes again; rewind ' +
          'to a time or a savepoint, which pair each stage with checkpoints of the tasks that feed it',
      ].join('\n'),
    });
    expect(await cli('checkpoints', job, '--json')).toEqual(before);
  });

  it('rewinds to a savepoint: says which tasks continue at new checkpoint ids', async () => {
    const job = uniqueJob('Staged');
    await run(job, 1, 4, -1);
    const saved = await cli('savepoint', job, '--name', 'before-fix');
    expect(saved.code).toBe(0);
    expect(saved.out.split('\n').map((l) => l.slice(0, 20).trimEnd())).toEqual([
      `recorded savepoint "`,
      '  task   checkpoint',
      '  0      4',
      '  tot/0  4',
      `rewind to it with: s`,
    ]);
    await run(job, 5, 7, -1);
    const back = await cli('rewind', job, '--to', 'before-fix');
    expect(back.err).toBe('');
    expect(back.out.split('\n')).toEqual([
      `rewound job ${job} to savepoint "before-fix" (2 task(s)):`,
      '  task   before  checkpoint  taken at                  watermark  positions',
      '  0      7       9           2024-05-01T10:00:04.000Z  -          evs=40',
      '  tot/0  7       4           2024-05-01T10:00:04.000Z  -          mid=12',
      'tasks feeding a keyed stage continue after the epochs the rewind discarded: 0 has ' +
        'checkpoint 4 as 9; the stage drops what its repartition topic still holds of those epochs',
      'start the job again: each task resumes from these positions with the restored state',
    ]);
    const listed = (await cli('checkpoints', job)).out.split('\n');
    expect(listed).toContain('task 0: latest checkpoint 9, rewound 1 time(s)');
  });
});

/**
 * A task's views against the real redis-server: what a checkpoint publishes is the
 * state its snapshot took, not what the task changed while the commit was in flight;
 * a task reopened on the checkpoint the cache has publishes nothing again, and one
 * whose last publish did not complete republishes it whole; a fused stage's state is
 * published under its own name; a publish that keeps failing while the task stops is
 * given up, and the next opening republishes.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  JobMetrics,
  ManualClock,
  MemoryStateBackend,
  RedisViewCache,
  StreamTask,
  type ElementContext,
  type JobSpec,
  type MapState,
  type RuntimeContext,
  type StateBackend,
} from '../src';
import { testServices } from '../test-services/services';
import { beforeCommits } from './commit-hook';
import { recordingLogger } from './recording-logger';

const { redisUrl } = testServices();
const run = `task-views-test-${process.pid}-${randomBytes(3).toString('hex')}`;
let redis: Redis;
const caches: RedisViewCache[] = [];

beforeAll(() => {
  redis = new Redis(redisUrl);
});

afterAll(async () => {
  await Promise.allSettled(caches.map((c) => c.close()));
  const keys = await redis.keys(`${run}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

interface Item {
  k: string;
  item: string;
  ts: number;
}

/** Keeps the items of each key in a map (a view), and counts them in a fused stage. */
class Items {
  private items!: MapState<number>;
  open(ctx: RuntimeContext) {
    this.items = ctx.mapState('items');
  }
  processElement(e: Item, ctx: ElementContext<Item>) {
    this.items.put(e.item, e.ts);
    ctx.emit(e);
  }
}

class Count {
  private seen!: MapState<boolean>;
  open(ctx: RuntimeContext) {
    this.seen = ctx.mapState('seen');
  }
  processElement(e: Item) {
    this.seen.put(e.item, true);
  }
}

const job = (name: string): JobSpec => ({
  name,
  sources: [
    {
      name: 'items',
      eventTime: { timestamp: (e: Item) => e.ts, maxOutOfOrdernessMs: 1_000 },
      key: (e: Item) => e.k,
    },
  ],
  operator: {
    kind: 'process',
    name: 'Items',
    input: 'items',
    output: 'counted',
    create: () => new Items(),
  },
  keyedStages: [
    { kind: 'process', id: 'count', input: 'counted', sameKey: true, create: () => new Count() },
  ],
  outputs: {},
  views: [
    { stage: 'Items', state: 'items', prefix: `${run}.${name}.items` },
    { stage: 'count', state: 'seen', prefix: `${run}.${name}.seen` },
  ],
});

async function openTask(spec: JobSpec, backend: StateBackend, logger = recordingLogger()) {
  const views = (spec.views ?? []).map((v) => {
    const cache = new RedisViewCache({ prefix: v.prefix, client: redis });
    caches.push(cache);
    return { spec: v, cache };
  });
  await Promise.all(views.map((v) => v.cache.open()));
  const task = await StreamTask.open({
    job: spec,
    taskId: '0',
    backend,
    clock: new ManualClock(1_000),
    logger,
    metrics: new JobMetrics(),
    emit: () => undefined,
    views,
  });
  return { task, logger };
}

const batch = (from: number, items: ReadonlyArray<[string, string]>) =>
  items.map(([k, item], i) => ({ value: { k, item, ts: 1_000 + from + i }, offset: from + i }));

const cached = async (prefix: string, key: string) => {
  const value = await redis.hget(`${prefix}:${key}`, 'value');
  return value === null ? undefined : (JSON.parse(value) as unknown);
};

/** A backend whose next commit waits until `release()`. */
function heldCommits(backend: MemoryStateBackend) {
  let hold: Promise<void> | undefined;
  let release = () => {};
  return {
    held: beforeCommits(backend, () => hold),
    holdNext() {
      hold = new Promise((resolve) => (release = resolve));
    },
    release: () => release(),
  };
}

describe('views of a task', () => {
  it('publish what the checkpoint took, not what the task changed during its commit', async () => {
    const spec = job('Snapshot');
    const memory = new MemoryStateBackend();
    const commits = heldCommits(memory);
    const { task } = await openTask(spec, commits.held);
    await task.processBatch('items', batch(0, [['k', 'a']]));
    commits.holdNext();
    const first = task.checkpoint();
    // while the commit waits, the same key's map gets another item (changed in place)
    await task.processBatch('items', batch(1, [['k', 'b']]));
    commits.release();
    await first;
    const prefix = `${run}.Snapshot.items`;
    expect(await cached(prefix, 'k')).toEqual({ a: 1_000 });
    await task.checkpoint();
    expect(await cached(prefix, 'k')).toEqual({ a: 1_000, b: 1_001 });
    // the fused stage's state, under its own prefix
    expect(await cached(`${run}.Snapshot.seen`, 'k')).toEqual({ a: true, b: true });
    task.close();
  });

  it('reopened on the checkpoint the cache has, publishes nothing; after a lost publish, republishes', async () => {
    const spec = job('Reopen');
    const memory = new MemoryStateBackend();
    const first = await openTask(spec, memory);
    await first.task.processBatch(
      'items',
      batch(0, [
        ['k', 'a'],
        ['j', 'x'],
      ]),
    );
    await first.task.checkpoint();
    first.task.close();

    const again = await openTask(spec, memory);
    expect(again.logger.logs.filter((l) => l.includes('republished'))).toEqual([]);
    again.task.close();

    // the last publish did not complete: the cache lost a key and the marker is behind
    const prefix = `${run}.Reopen.items`;
    await redis.del(`${prefix}:j`, `${prefix}:__published:{Reopen:0}`);
    const third = await openTask(spec, memory);
    expect(third.logger.logs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/view Items\.items of task 0: republished checkpoint 1/),
      ]),
    );
    expect(await cached(prefix, 'j')).toEqual({ x: 1_001 });
    third.task.close();
  });

  it('gives a failing publish up when the task stops; the next opening republishes', async () => {
    const spec: JobSpec = {
      ...job('GiveUp'),
      views: [{ stage: 'Items', state: 'items', prefix: `${run}.GiveUp.items` }],
    };
    const memory = new MemoryStateBackend();
    // a cache whose Redis is not there
    const down = new RedisViewCache({
      prefix: `${run}.GiveUp.items`,
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
    });
    caches.push(down);
    await down.open();
    let stopping = false;
    const logger = recordingLogger();
    const task = await StreamTask.open({
      job: spec,
      taskId: '0',
      backend: memory,
      clock: new ManualClock(1_000),
      logger,
      metrics: new JobMetrics(),
      emit: () => undefined,
      views: [{ spec: spec.views![0], cache: down }],
      viewRetryMs: 60_000,
      viewsGivenUp: () => stopping,
    });
    await task.processBatch('items', batch(0, [['k', 'a']]));
    const committing = task.checkpoint();
    await new Promise((r) => setTimeout(r, 300));
    expect(logger.logs.some((l) => /publish to .* failed \(attempt 1/.test(l))).toBe(true);
    stopping = true;
    // the state is committed; the publish is given up with a warning, not an error
    await committing;
    expect(logger.logs.some((l) => /publish given up, the task stops/.test(l))).toBe(true);
    task.close();

    const reopened = await openTask(spec, memory);
    expect(await cached(`${run}.GiveUp.items`, 'k')).toEqual({ a: 1_000 });
    expect(reopened.logger.logs.some((l) => /republished checkpoint 1/.test(l))).toBe(true);
    reopened.task.close();
  });
});

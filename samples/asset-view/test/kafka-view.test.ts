/**
 * AssetView on Kafka with state in Redis and the view in a Redis cache of its own.
 *
 * A kill -9 during a publish: the cache is taken down, so the checkpoints the job
 * commits meanwhile are in the state but not in the cache; the job is killed then.
 * Restarted with the cache back, each task republishes the checkpoint it restored, and
 * once the job caught up the cache equals the fold of every event and full publish.
 *
 * A rewind: a savepoint taken mid-run, more events (new keys among them) published,
 * the job stopped and rewound to the savepoint. The restarted job republishes the
 * restated view, removing what the savepoint's state does not hold; every key it then
 * holds was written after the rewind (no stale version survives), and once it caught
 * up again the cache equals the fold.
 */
import { Redis } from 'ioredis';
import { withCheckpointAdmin, type CheckpointAdmin } from '@stream-gen/runtime';
import type { JobProcess } from '../../../packages/runtime/test-services/job-process';
import { RestartableRedis } from '../../../packages/runtime/test-services/restartable-redis';
import { testServices } from '../../../packages/runtime/test-services/services';
import { foldAssets, generateAssets, sortedView, type CachedAssets } from '../src';
import { assetViewOnKafka, PARTITIONS } from './asset-view-on-kafka';
import { cacheReaches, dropCache } from './cache-contents';

jest.setTimeout(180_000);
const services = testServices();

describe('AssetView on Kafka, Redis state and a Redis cache', () => {
  const processes: JobProcess[][] = [];
  let cache: RestartableRedis;
  let cacheClient: Redis;
  let state: Redis;

  beforeAll(async () => {
    cache = await RestartableRedis.start();
    cacheClient = new Redis(cache.url, { maxRetriesPerRequest: 1 });
    cacheClient.on('error', () => undefined); // the cache is taken down on purpose
    state = new Redis(services.redisUrl);
  });

  afterAll(async () => {
    for (const job of processes.flat()) await job.kill();
    cacheClient.disconnect();
    state.disconnect();
    await cache.stop();
  });

  async function setUp(ns: string) {
    const { env, start, send, started } = await assetViewOnKafka(ns, {
      STREAM_GEN_VIEW_REDIS_URL: cache.url,
    });
    processes.push(started);
    const prefix = `${ns}.assets`;
    const caughtUp = (expected: Record<string, CachedAssets>, job: JobProcess) =>
      cacheReaches(cacheClient, prefix, expected, job.output);
    const admin = <T>(use: (a: CheckpointAdmin) => Promise<T>) => withCheckpointAdmin(env, use);
    return { env, start, send, prefix, caughtUp, admin };
  }

  /** The latest checkpoint id of each task of the job, from the state's Redis. */
  async function heads(ns: string): Promise<number[]> {
    const ids: number[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      ids.push(Number((await state.hget(`sg:${ns}:{AssetView:${p}}:head`, 'id')) ?? 0));
    }
    return ids;
  }

  it('a kill -9 while the cache is down: after the restart the cache equals the fold', async () => {
    const ns = `av-kill-${Date.now()}`;
    const { start, send, prefix, caughtUp } = await setUp(ns);
    const data = generateAssets({ seed: 11, events: 9_000 });
    const [fullA, fullB, fullC] = data.fullPublishes;
    const thirds = [0, 3_000, 6_000, 9_000].map((n) => data.events.slice(0, n));
    const partA = data.events.slice(0, 3_000);
    const partB = data.events.slice(3_000, 6_000);
    const partC = data.events.slice(6_000);

    let job = start();
    await send('asset-events', partA);
    await send('full-publish', fullA);
    await caughtUp(sortedView(foldAssets([...thirds[1], ...fullA])), job);

    // the cache goes away: the job goes on committing checkpoints it cannot publish
    const before = await heads(ns);
    await cache.down();
    await send('asset-events', partB);
    await job.waitForLog(/publish to Redis cache .* failed/, 30_000);
    // each task commits one more checkpoint, whose publish then waits for the cache (the
    // next checkpoint waits for that one): wait until every task committed it
    const until = Date.now() + 30_000;
    while ((await heads(ns)).some((id, p) => id <= before[p]) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const committed = await heads(ns);
    // the kill lands mid-publish: checkpoints in the state that the cache does not have
    expect(committed.every((id, p) => id > before[p])).toBe(true);
    await job.kill();

    await cache.up();
    job = start();
    await send('full-publish', fullB);
    await send('asset-events', partC);
    await send('full-publish', fullC);
    await caughtUp(sortedView(foldAssets([...data.events, ...fullA, ...fullB, ...fullC])), job);
    expect(job.output()).toMatch(/republished checkpoint \d+ \(lineage \d+\)/);
    expect(await job.stop()).toBe('SIGTERM');
    await dropCache(cacheClient, prefix);
  });

  it('a rewind to a savepoint republishes the restated view; no stale value survives', async () => {
    const ns = `av-rewind-${Date.now()}`;
    const { start, send, prefix, caughtUp, admin } = await setUp(ns);
    const data = generateAssets({ seed: 12, events: 6_000, movies: 20 });
    const early = data.events.slice(0, 3_000);
    // later events bring keys the savepoint's state does not have
    const later = [
      ...data.events.slice(3_000),
      ...generateAssets({ seed: 13, events: 500, movies: 5, cdns: 2 }).events.map((e) => ({
        ...e,
        cdn: `cdn-late-${e.cdn}`,
      })),
    ];
    const [full] = data.fullPublishes;

    let job = start();
    await send('asset-events', early);
    await send('full-publish', full);
    await caughtUp(sortedView(foldAssets([...early, ...full])), job);
    await admin((a) => a.savepoint('AssetView', 'before-later'));

    await send('asset-events', later);
    const all = sortedView(foldAssets([...early, ...full, ...later]));
    await caughtUp(all, job);
    const onlyLater = Object.keys(all).filter((k) => k.startsWith('cdn-late-'));
    expect(onlyLater.length).toBeGreaterThan(5);
    expect(await job.stop()).toBe('SIGTERM');

    await admin((a) => a.rewind('AssetView', 'before-later'));
    job = start();
    // every task republishes the checkpoint the rewind restored (its lineage moved on)
    await job.waitForLog(/(republished checkpoint \d+ \(lineage \d*000001\)[^]*){4}/, 30_000);
    const removed = [
      ...job.output().matchAll(/republished .*: \d+ key\(s\) written, (\d+) removed/g),
    ]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);
    // the keys only the discarded run made were taken out of the cache
    expect(removed).toBeGreaterThanOrEqual(onlyLater.length);
    await caughtUp(all, job);
    // every key holds a version written after the rewind: lineage = history * 10^6 + rewinds
    for (const key of Object.keys(all)) {
      expect(Number(await cacheClient.hget(`${prefix}:${key}`, 'lineage')) % 1_000_000).toBe(1);
    }
    expect(await job.stop()).toBe('SIGTERM');
    await dropCache(cacheClient, prefix);
  });
});

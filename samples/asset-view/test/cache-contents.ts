import type { Redis } from 'ioredis';
import { sortedView, type CachedAssets } from '../src';

/**
 * Every present key of the view under `prefix` (`<prefix>:<cdn>:<movieId>`), as the
 * playback clients read it (`HGET <key> value`): key without the prefix → asset set.
 */
export async function cacheContents(
  redis: Redis,
  prefix: string,
): Promise<Map<string, CachedAssets>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch.filter((k) => !k.startsWith(`${prefix}:__`)));
  } while (cursor !== '0');
  keys.sort();
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hget(key, 'value');
  const values = (await pipeline.exec()) ?? [];
  const view = new Map<string, CachedAssets>();
  values.forEach(([error, value], i) => {
    if (error) throw error;
    // a tombstone has no value: the key is absent for a client
    if (typeof value === 'string') view.set(keys[i].slice(prefix.length + 1), JSON.parse(value));
  });
  return view;
}

/** Deletes every key under `prefix` (a test's own namespace). */
export async function dropCache(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) await redis.del(...batch);
  } while (cursor !== '0');
}

/**
 * Resolves once the cache under `prefix` holds exactly `expected` (the job caught up and
 * published); fails with the difference and the end of the job's log after 90 s.
 */
export async function cacheReaches(
  redis: Redis,
  prefix: string,
  expected: Record<string, CachedAssets>,
  log: () => string,
): Promise<void> {
  const until = Date.now() + 90_000;
  let seen: Record<string, CachedAssets> = {};
  while (Date.now() < until) {
    seen = sortedView(await cacheContents(redis, prefix));
    if (JSON.stringify(seen) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  expect({ cache: seen, log: log().slice(-3000) }).toEqual({ cache: expected, log: '' });
}

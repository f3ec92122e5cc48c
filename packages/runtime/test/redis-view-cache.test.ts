/**
 * RedisViewCache against the redis-server of the jest global setup, each test under a
 * key prefix of its own; plus a redis-server of its own (to flush its scripts) and a
 * 3-master Redis Cluster started here.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisViewCache } from '../src/connectors/view-cache/redis-view-cache';
import type { ViewEntry, ViewScope, ViewVersion } from '../src/connectors/view-cache/view-cache';
import {
  keysPerMaster,
  startRedisCluster,
  type RedisCluster,
} from '../test-services/redis-cluster';
import { startRedis, testServices } from '../test-services/services';

const { redisUrl } = testServices();
const run = `view-cache-test:${process.pid}:${randomBytes(4).toString('hex')}`;
let prefixes = 0;
const uniquePrefix = () => `${run}:${++prefixes}`;

const taskA: ViewScope = { job: 'Catalog', task: '0' };
const taskB: ViewScope = { job: 'Catalog', task: 'stage-id/2' };
const v = (lineage: number, checkpoint: number): ViewVersion => ({ lineage, checkpoint });
const put = (key: string, value: unknown): ViewEntry => ({ key, value });
const del = (key: string): ViewEntry => ({ key, value: undefined });

async function* chunks(...groups: ViewEntry[][]): AsyncIterable<readonly ViewEntry[]> {
  for (const group of groups) yield group;
}

let redis: Redis;
/** Caches with a client of their own, closed even when a test fails half way. */
const opened: RedisViewCache[] = [];

beforeAll(() => {
  redis = new Redis(redisUrl);
});

afterAll(async () => {
  await Promise.allSettled(opened.map((c) => c.close()));
  const written = await redis.keys(`${run}:*`);
  if (written.length > 0) await redis.del(...written);
  redis.disconnect();
});

function openCache(options: { ttlMs?: number; client?: Redis } = {}) {
  const prefix = uniquePrefix();
  const cache = new RedisViewCache({
    prefix,
    ttlMs: options.ttlMs,
    client: options.client ?? redis,
  });
  return { cache, prefix };
}

describe('RedisViewCache', () => {
  it('writes values with their version, and a replay of the same version writes them again', async () => {
    const { cache, prefix } = openCache();

    expect(await cache.publish(taskA, v(0, 1), [put('cdn-1:movie-7', ['eu', 'us'])])).toEqual({
      written: 1,
      skipped: 0,
    });

    expect(await redis.hget(`${prefix}:cdn-1:movie-7`, 'value')).toBe('["eu","us"]');
    expect(await redis.hgetall(`${prefix}:cdn-1:movie-7`)).toEqual({
      value: '["eu","us"]',
      lineage: '0',
      checkpoint: '1',
    });
    expect(await cache.read('cdn-1:movie-7')).toEqual({ value: ['eu', 'us'], version: v(0, 1) });
    expect(await cache.publish(taskA, v(0, 1), [put('cdn-1:movie-7', ['eu', 'us'])])).toEqual({
      written: 1,
      skipped: 0,
    });
    expect(await redis.hget(`${prefix}:cdn-1:movie-7`, 'value')).toBe('["eu","us"]');
    expect(await cache.read('absent')).toBeUndefined();
  });

  it('skips a key whose stored version is newer, lineage first, then checkpoint', async () => {
    const { cache } = openCache();
    await cache.publish(taskA, v(1, 2), [put('m', 'after rewind'), put('n', 'n at 1/2')]);

    // before the rewind: a higher checkpoint id, but a lower lineage
    expect(await cache.publish(taskA, v(0, 9), [put('m', 'stale'), put('o', 'new key')])).toEqual({
      written: 1,
      skipped: 1,
    });
    expect(await cache.publish(taskA, v(1, 1), [put('n', 'stale')])).toEqual({
      written: 0,
      skipped: 1,
    });

    expect(await cache.read('m')).toEqual({ value: 'after rewind', version: v(1, 2) });
    expect(await cache.read('n')).toEqual({ value: 'n at 1/2', version: v(1, 2) });
    expect(await cache.read('o')).toEqual({ value: 'new key', version: v(0, 9) });
    expect(await cache.publish(taskA, v(1, 3), [put('m', 'newer')])).toEqual({
      written: 1,
      skipped: 0,
    });
    expect(await cache.read('m')).toEqual({ value: 'newer', version: v(1, 3) });
  });

  it('leaves a tombstone on delete, which an older publish cannot revive and a newer one can', async () => {
    const { cache, prefix } = openCache();
    await cache.publish(taskA, v(0, 1), [put('k', { at: 1 })]);

    expect(await cache.publish(taskA, v(0, 2), [del('k')])).toEqual({ written: 1, skipped: 0 });
    expect(await redis.hget(`${prefix}:k`, 'value')).toBeNull();
    expect(await redis.hgetall(`${prefix}:k`)).toEqual({ lineage: '0', checkpoint: '2' });
    expect(await cache.read('k')).toBeUndefined();

    expect(await cache.publish(taskA, v(0, 1), [put('k', { at: 1 })])).toEqual({
      written: 0,
      skipped: 1,
    });
    expect(await cache.read('k')).toBeUndefined();

    await cache.publish(taskA, v(0, 3), [put('k', { at: 3 })]);
    expect(await cache.read('k')).toEqual({ value: { at: 3 }, version: v(0, 3) });
  });

  it('keeps a marker per task that only moves forward', async () => {
    const { cache, prefix } = openCache();
    expect(await cache.published(taskA)).toBeUndefined();

    await cache.publish(taskA, v(0, 5), [put('k', 5)]);
    await cache.publish(taskB, v(0, 2), []);
    expect(await cache.published(taskA)).toEqual(v(0, 5));
    expect(await redis.get(`${prefix}:__published:{Catalog:0}`)).toBe('0 5');

    await cache.publish(taskA, v(0, 4), [put('k', 4)]);
    expect(await cache.published(taskA)).toEqual(v(0, 5));
    await cache.publish(taskA, v(1, 1), []);
    expect(await cache.published(taskA)).toEqual(v(1, 1));
    expect(await cache.published(taskB)).toEqual(v(0, 2));
  });

  it('republish removes the keys of the task it does not name and that are older, and keeps the rest', async () => {
    const { cache, prefix } = openCache();
    await cache.publish(taskA, v(0, 1), [put('a', 1), put('b', 1), put('c', 1), put('t', 1)]);
    await cache.publish(taskA, v(0, 2), [del('t')]);
    await cache.publish(taskA, v(0, 5), [put('newer', 5)]);
    await cache.publish(taskB, v(0, 1), [put('other-task', 1)]);
    expect((await redis.smembers(`${prefix}:__keys:{Catalog:0}`)).sort()).toEqual(
      ['a', 'b', 'c', 'newer', 't'].map((k) => `${prefix}:${k}`),
    );

    const result = await cache.republish(taskA, v(0, 3), chunks([put('a', 3)], [put('x', 3)]));

    // b and c lose their values; t was a tombstone already
    expect(result).toEqual({ written: 2, skipped: 0, removed: 2 });
    expect(await cache.read('a')).toEqual({ value: 3, version: v(0, 3) });
    expect(await cache.read('x')).toEqual({ value: 3, version: v(0, 3) });
    for (const k of ['b', 'c', 't']) {
      expect(await redis.hgetall(`${prefix}:${k}`)).toEqual({ lineage: '0', checkpoint: '3' });
    }
    expect(await cache.read('newer')).toEqual({ value: 5, version: v(0, 5) });
    expect(await cache.read('other-task')).toEqual({ value: 1, version: v(0, 1) });
    // the marker stays at the newer publish
    expect(await cache.published(taskA)).toEqual(v(0, 5));

    // a removed key stays removed for an older publish
    await cache.publish(taskA, v(0, 2), [put('b', 2)]);
    expect(await cache.read('b')).toBeUndefined();
  });

  it('republish keeps a key written at its very version, and moves the marker', async () => {
    const { cache } = openCache();
    await cache.publish(taskA, v(0, 4), [put('same', 4), put('old', 4)]);

    // the same version again, in pieces: the first chunk's key is named by the republish
    const result = await cache.republish(taskA, v(0, 4), chunks([put('old', 4)], []));

    expect(result).toEqual({ written: 1, skipped: 0, removed: 0 });
    expect(await cache.read('same')).toEqual({ value: 4, version: v(0, 4) });
    expect(await cache.republish(taskA, v(2, 1), chunks([put('old', 'x')]))).toEqual({
      written: 1,
      skipped: 0,
      removed: 1,
    });
    expect(await cache.read('same')).toBeUndefined();
    expect(await cache.published(taskA)).toEqual(v(2, 1));
  });

  it("reset deletes the task's keys, versions, index and marker, and leaves another task's", async () => {
    const { cache, prefix } = openCache();
    await cache.publish(taskA, v(0, 1), [put('a', 1), put('b', 1)]);
    await cache.publish(taskA, v(0, 2), [del('b')]);
    await cache.publish(taskB, v(0, 7), [put('c', 1)]);

    expect(await cache.reset(taskA)).toBe(2);

    expect(await redis.exists(`${prefix}:a`, `${prefix}:b`)).toBe(0);
    expect(await redis.exists(`${prefix}:__keys:{Catalog:0}`)).toBe(0);
    expect(await cache.published(taskA)).toBeUndefined();
    expect(await cache.read('c')).toEqual({ value: 1, version: v(0, 7) });
    expect(await cache.published(taskB)).toEqual(v(0, 7));
    // a new history may start at any version
    await cache.publish(taskA, v(0, 1), [put('b', 'again')]);
    expect(await cache.read('b')).toEqual({ value: 'again', version: v(0, 1) });
    expect(await cache.reset({ job: 'Catalog', task: 'never-published' })).toBe(0);
  });

  it('sets the TTL on every write, tombstones included, and none without ttlMs', async () => {
    const { cache, prefix } = openCache({ ttlMs: 60_000 });
    // written without a TTL, by a cache of the same prefix
    await new RedisViewCache({ prefix, client: redis }).publish(taskA, v(0, 1), [
      put('removed', 1),
    ]);
    expect(await redis.pttl(`${prefix}:removed`)).toBe(-1);
    await cache.publish(taskA, v(0, 1), [put('live', 1)]);
    await cache.publish(taskA, v(0, 2), [del('never-held-a-value')]);
    await cache.republish(taskA, v(0, 3), chunks([put('live', 3)]));
    expect(await cache.read('removed')).toBeUndefined();

    for (const k of ['live', 'never-held-a-value', 'removed']) {
      const ttl = await redis.pttl(`${prefix}:${k}`);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    // the index and the marker do not expire
    expect(await redis.pttl(`${prefix}:__keys:{Catalog:0}`)).toBe(-1);
    expect(await redis.pttl(`${prefix}:__published:{Catalog:0}`)).toBe(-1);

    const { cache: noTtl, prefix: other } = openCache();
    await noTtl.publish(taskA, v(0, 1), [put('k', 1)]);
    expect(await redis.pttl(`${other}:k`)).toBe(-1);
  });

  it('sends one pipeline per 1000 entries, and the marker after them', async () => {
    const client = new Redis(redisUrl);
    try {
      const { cache, prefix } = openCache({ client });
      await cache.publish(taskA, v(0, 1), [put('warm-up', 0)]); // the server caches the scripts
      const pipeline = jest.spyOn(client, 'pipeline');
      const call = jest.spyOn(client, 'call');
      const entries = Array.from({ length: 2500 }, (_, i) => put(`k${i}`, i));

      expect(await cache.publish(taskA, v(0, 2), entries)).toEqual({ written: 2500, skipped: 0 });

      // each: the SADD of its keys to the index, then one EVALSHA per entry
      expect(pipeline.mock.results.map((r) => (r.value as { length: number }).length)).toEqual([
        1001, 1001, 501,
      ]);
      expect(call.mock.calls.map(([name]) => name)).toEqual(['EVALSHA']);
      expect(await redis.scard(`${prefix}:__keys:{Catalog:0}`)).toBe(2501);
      expect(await cache.read('k2499')).toEqual({ value: 2499, version: v(0, 2) });

      pipeline.mockClear();
      expect(await cache.republish(taskA, v(0, 3), chunks(entries.slice(0, 1500)))).toEqual({
        written: 1500,
        skipped: 0,
        removed: 1001,
      });
      // 2 of writes; removals: one pipeline per SSCAN batch of the index (about 1000 each)
      const lengths = pipeline.mock.results.map((r) => (r.value as { length: number }).length);
      expect(lengths.slice(0, 2)).toEqual([1001, 501]);
      expect(lengths.slice(2).every((n) => n <= 1000)).toBe(true);
      expect(lengths.length).toBeLessThan(2 + 8);
    } finally {
      client.disconnect();
    }
  });

  it('throws naming the key and the cache when a write fails, and leaves the marker', async () => {
    const { cache, prefix } = openCache();
    await cache.publish(taskA, v(0, 1), [put('fine', 1)]);
    await redis.set(`${prefix}:not-a-hash`, 'someone else');

    await expect(
      cache.publish(taskA, v(0, 2), [put('fine', 2), put('not-a-hash', 2)]),
    ).rejects.toThrow(
      new RegExp(
        `^Redis cache ${prefix}:\\* on the given client: writing ${prefix}:not-a-hash failed: WRONGTYPE`,
      ),
    );
    expect(await cache.published(taskA)).toEqual(v(0, 1));

    await redis.hset(`${prefix}:no-version`, 'value', '1');
    await expect(cache.publish(taskA, v(0, 2), [put('no-version', 2)])).rejects.toThrow(
      `writing ${prefix}:no-version failed: SGTYPE ${prefix}:no-version is a hash without a version`,
    );
    expect(await redis.hgetall(`${prefix}:no-version`)).toEqual({ value: '1' });
  });

  it('refuses what it cannot write before sending anything', async () => {
    const { cache, prefix } = openCache();

    await expect(cache.publish(taskA, v(0, 1), [put('a', 1), put('b', 10n)])).rejects.toThrow(
      /^view entry "b": Do not know how to serialize a BigInt/,
    );
    await expect(cache.publish(taskA, v(0, 1.5), [put('a', 1)])).rejects.toThrow(
      "a view version's checkpoint must be an integer >= 0, got 1.5",
    );
    await expect(cache.publish(taskA, v(0, 1), [put('__keys:{Catalog:0}', 1)])).rejects.toThrow(
      'keys starting with __keys: or __published: name the index and marker of tasks',
    );
    await expect(cache.publish({ job: 'Cat{alog', task: '0' }, v(0, 1), [])).rejects.toThrow(
      'cannot use job name "Cat{alog"',
    );
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);

    expect(() => new RedisViewCache({ prefix: 'my assets' })).toThrow(
      'a view cache prefix must be non-empty, without whitespace, "{" or "}" (got "my assets")',
    );
    expect(() => new RedisViewCache({ prefix: '' })).toThrow('must be non-empty');
    expect(() => new RedisViewCache({ prefix: 'a', ttlMs: 0 })).toThrow(
      'ttlMs of a view cache must be an integer >= 1, got 0',
    );
  });

  it('connects to the Redis of the environment, and closes only its own client', async () => {
    const prefix = uniquePrefix();
    const own = new RedisViewCache({ prefix, env: { REDIS_URL: redisUrl } });
    opened.push(own);
    expect(own.describe()).toBe(`Redis cache ${prefix}:* at ${redisUrl}`);
    expect(new RedisViewCache({ prefix: 'assets', env: {} }).describe()).toBe(
      'Redis cache assets:* at redis://127.0.0.1:6379',
    );
    await expect(own.published(taskA)).rejects.toThrow(`Redis cache ${prefix}:* at`);

    await own.open();
    await own.publish(taskA, v(0, 1), [put('k', 'v')]);
    await own.close();
    expect(await redis.hget(`${prefix}:k`, 'value')).toBe('"v"');

    const given = new RedisViewCache({ prefix, client: redis });
    await given.open();
    await given.close();
    expect(await redis.ping()).toBe('PONG');
  });

  it('loads its scripts again on a server that lost them', async () => {
    const server = await startRedis();
    if (server.external) return; // never flush the scripts of a shared REDIS_URL server
    const client = new Redis(server.url);
    try {
      const { cache } = openCache({ client });
      await cache.publish(taskA, v(0, 1), [put('a', 1)]);
      await client.script('FLUSH');

      expect(await cache.publish(taskA, v(0, 2), [put('a', 2), put('b', 2)])).toEqual({
        written: 2,
        skipped: 0,
      });
      await client.script('FLUSH');
      expect(await cache.republish(taskA, v(0, 3), chunks([put('b', 3)]))).toEqual({
        written: 1,
        skipped: 0,
        removed: 1,
      });
      expect(await cache.read('b')).toEqual({ value: 3, version: v(0, 3) });
      expect(await cache.published(taskA)).toEqual(v(0, 3));
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});

describe('RedisViewCache (Redis Cluster, 3 masters)', () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('publishes, republishes and resets keys spread over every master', async () => {
    const client = (cluster as RedisCluster).client;
    const cache = new RedisViewCache({ prefix: 'assets', client, ttlMs: 60_000 });
    expect(cache.describe()).toBe('Redis Cluster cache assets:* on the given client');
    const entries = Array.from({ length: 1200 }, (_, i) => put(`movie-${i}`, [`cdn-${i % 3}`]));

    expect(await cache.publish(taskA, v(0, 1), entries)).toEqual({ written: 1200, skipped: 0 });
    await cache.publish(taskB, v(0, 1), [put('other-task', 1)]);
    const perMaster = Object.values(await keysPerMaster(client, 'assets:movie-*'));
    expect(perMaster.map((keys) => keys.length > 300)).toEqual([true, true, true]);
    expect(await cache.publish(taskA, v(0, 0), entries.slice(0, 10))).toEqual({
      written: 0,
      skipped: 10,
    });

    await client.script('FLUSH'); // on one master: its scripts come back by EVAL
    expect(await cache.republish(taskA, v(0, 2), chunks(entries.slice(0, 100)))).toEqual({
      written: 100,
      skipped: 0,
      removed: 1100,
    });
    expect(await cache.read('movie-99')).toEqual({ value: ['cdn-0'], version: v(0, 2) });
    expect(await cache.read('movie-100')).toBeUndefined();
    expect(await cache.published(taskA)).toEqual(v(0, 2));

    expect(await cache.reset(taskA)).toBe(1200);
    expect(
      Object.values(await keysPerMaster(client, 'assets:*'))
        .flat()
        .sort(),
    ).toEqual([
      'assets:__keys:{Catalog:stage-id/2}',
      'assets:__published:{Catalog:stage-id/2}',
      'assets:other-task',
    ]);
  });
});

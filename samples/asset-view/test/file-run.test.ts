/**
 * `stream-gen run AssetView --source asset-events=... --source full-publish=...`: a
 * bounded run over JSON-lines files publishes the view to the Redis cache, which then
 * equals the fold of every event and full publish; a second run over other data
 * replaces it whole (a run starts a history of its own).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { testServices } from '../../../packages/runtime/test-services/services';
import { foldAssets, generateAssets, sortedView, type AssetEvent } from '../src';
import { cacheContents, dropCache } from './cache-contents';

jest.setTimeout(60_000);
const CLI = path.resolve(__dirname, '../../../packages/codegen/bin/stream-gen.js');
const PROJECT = path.resolve(__dirname, '..');
const services = testServices();
const namespace = `asset-file-${process.pid}`;
const prefix = `${namespace}.assets`;
let redis: Redis;
let dir: string;

beforeAll(() => {
  redis = new Redis(services.redisUrl);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-run-'));
});

afterAll(async () => {
  await dropCache(redis, prefix);
  redis.disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(events: readonly AssetEvent[], fullPublish: readonly AssetEvent[]) {
  const lines = (records: readonly AssetEvent[]) =>
    records.map((r) => `${JSON.stringify(r)}\n`).join('');
  fs.writeFileSync(path.join(dir, 'events.jsonl'), lines(events));
  fs.writeFileSync(path.join(dir, 'full.jsonl'), lines(fullPublish));
  return spawnSync(
    process.execPath,
    [
      CLI,
      'run',
      'AssetView',
      '--project',
      PROJECT,
      '--source',
      'asset-events=events.jsonl',
      '--source',
      'full-publish=full.jsonl',
      '--sink',
      'dead-letters=dead.jsonl',
      '--batch-size',
      '300',
    ],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, REDIS_URL: services.redisUrl, STREAM_GEN_NAMESPACE: namespace },
    },
  );
}

it('publishes the fold of the events and full publishes to the cache, and a rerun replaces it', async () => {
  const first = generateAssets({ seed: 5, events: 6_000 });
  const firstFull = first.fullPublishes.flat();
  const done = run(first.events, firstFull);
  expect({ status: done.status, stderr: done.stderr }).toEqual({
    status: 0,
    stderr: expect.stringMatching(/view AssetView\.assets is published to/),
  });
  const expected = sortedView(foldAssets([...first.events, ...firstFull]));
  expect(Object.keys(expected).length).toBeGreaterThan(50);
  expect(sortedView(await cacheContents(redis, prefix))).toEqual(expected);
  expect(fs.readFileSync(path.join(dir, 'dead.jsonl'), 'utf8')).toBe('');

  // other data: keys only the first run had are gone, none of its values survive
  const second = generateAssets({ seed: 6, events: 2_000, movies: 10 });
  const secondFull = second.fullPublishes.flat();
  expect(run(second.events, secondFull).status).toBe(0);
  const again = sortedView(foldAssets([...second.events, ...secondFull]));
  expect(Object.keys(again).length).toBeLessThan(Object.keys(expected).length);
  expect(sortedView(await cacheContents(redis, prefix))).toEqual(again);
});

/**
 * Full publishes from a snapshot endpoint (STREAM_GEN_SNAPSHOTS=full-publish=<url>):
 * loaded into the `full-publish` topic before the job starts, and again on
 * `POST /snapshot/full-publish` once the endpoint serves a newer one; each time the
 * cache then equals the fold of the events and the snapshots loaded so far. A line of
 * the snapshot that is not JSON reaches the dead letters with the reason.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { JobProcess } from '../../../packages/runtime/test-services/job-process';
import { kafkaClient, TopicReader } from '../../../packages/runtime/test-services/kafka-io';
import { testServices } from '../../../packages/runtime/test-services/services';
import { foldAssets, generateAssets, sortedView, type AssetEvent } from '../src';
import { assetViewOnKafka } from './asset-view-on-kafka';
import { cacheReaches, dropCache } from './cache-contents';

jest.setTimeout(120_000);
const services = testServices();

describe('AssetView full publishes from a snapshot endpoint', () => {
  const jobs: JobProcess[] = [];
  let server: Server;
  let served = '';
  let requests = 0;
  let redis: Redis;
  let reader: TopicReader | undefined;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(served);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    redis = new Redis(services.redisUrl);
  });

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    await reader?.close();
    redis.disconnect();
    await new Promise((resolve) => server.close(resolve));
  });

  it('loads the snapshot at start and again on POST /snapshot/<source>', async () => {
    const ns = `av-snapshot-${Date.now()}`;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/assets.jsonl`;
    const { start, send, started } = await assetViewOnKafka(ns, {
      STREAM_GEN_SNAPSHOTS: `full-publish=${url}`,
    });
    const prefix = `${ns}.assets`;
    reader = await TopicReader.start(kafkaClient(services.kafkaBrokers), [`${ns}.dead-letters`]);
    const data = generateAssets({ seed: 31, events: 4_000, movies: 15 });
    const [first, second] = data.fullPublishes;
    const lines = (records: readonly AssetEvent[]) =>
      records.map((r) => `${JSON.stringify(r)}\n`).join('');
    served = `${lines(first)}not json at all\n`;
    const half = data.events.slice(0, 2_000);
    await send('asset-events', half);
    const job = start();
    jobs.push(...started);
    await job.waitForLog(/snapshot of full-publish: \d+ record\(s\) from http/, 30_000);
    expect(requests).toBe(1);
    await cacheReaches(redis, prefix, sortedView(foldAssets([...half, ...first])), job.output);
    await reader.waitFor(() => reader!.records.length > 0, 30_000);
    expect(reader.records.map((r) => r.headers['stream-gen-dead-letter-reason'])).toEqual([
      expect.stringMatching(/JSON/i),
    ]);

    // a newer snapshot, loaded on demand
    served = lines(second);
    await send('asset-events', data.events.slice(2_000));
    const port = Number(/status on http:\/\/localhost:(\d+)/.exec(job.output())![1]);
    const post = (source: string) =>
      fetch(`http://127.0.0.1:${port}/snapshot/${source}`, { method: 'POST' });
    expect((await post('asset-events')).status).toBe(404);
    const loading = await post('full-publish');
    expect({ status: loading.status, body: await loading.json() }).toEqual({
      status: 202,
      body: { status: 'loading', source: 'full-publish' },
    });
    await cacheReaches(
      redis,
      prefix,
      sortedView(foldAssets([...data.events, ...first, ...second])),
      job.output,
    );
    expect(requests).toBe(2);
    expect(await job.stop()).toBe('SIGTERM');
    await dropCache(redis, prefix);
  });
});

/**
 * PlayEventsRouter as it runs in production: the generated main file as its own
 * process on Kafka (the mock cluster), its state in Redis, its tv-plays route into the
 * machine's PostgreSQL through a TCP proxy the test can take down. PostgreSQL away for
 * a while loses nothing and duplicates no row (the sink retries with backoff, the rows
 * are upserted on their output ids); kill -9 mid-stream and a restart leave the table
 * and the Kafka route as a failure-free run leaves them (Kafka: duplicates only with
 * the same id and content). While PostgreSQL is away the other routes go on (the
 * sink buffer), and a kill -9 then loses none of the rows that were waiting.
 */
import * as path from 'node:path';
import { HEADER_ID } from '@stream-gen/runtime';
import {
  startJobProcess,
  type JobProcess,
} from '../../../packages/runtime/test-services/job-process';
import {
  kafkaClient,
  produce,
  TopicReader,
} from '../../../packages/runtime/test-services/kafka-io';
import { kafkaJobEnv } from '../../../packages/runtime/test-services/job-env';
import { testServices } from '../../../packages/runtime/test-services/services';
import { generatePlayEvents, referenceRoutes, type PlayEvent } from '../src';
import { byPlayId, createDatabase } from './postgres-db';
import { startTcpProxy } from './tcp-proxy';

jest.setTimeout(180_000);
const services = testServices();
const MAIN = path.join(
  __dirname,
  '..',
  'dist',
  'generated',
  'play-events-router.main.generated.js',
);
const PARTITIONS = 3;

describe('PlayEventsRouter on Kafka, Redis and PostgreSQL', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const jobs: JobProcess[] = [];
  const closers: Array<() => Promise<void>> = [];

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    for (const close of closers) await close();
  });

  /** Topics, a database behind a proxy and the events on the source topic. */
  async function setUp(name: string, events: readonly PlayEvent[], redisDb: number) {
    const ns = `${name}-${Date.now()}`;
    const topic = (t: string) => `${ns}.${t}`;
    await services.kafka.createTopic(topic('play_events'), PARTITIONS);
    for (const t of ['long_us_plays', 'PlayEventsRouter.dead-letters']) {
      await services.kafka.createTopic(topic(t), 1);
    }
    const db = await createDatabase(name.replace(/-/g, '_'));
    await db.createTvPlays();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    const reader = await TopicReader.start(kafka, [
      topic('long_us_plays'),
      topic('PlayEventsRouter.dead-letters'),
    ]);
    closers.push(
      () => reader.close(),
      () => proxy.close(),
      () => db.drop(),
    );
    await produce(
      kafka,
      topic('play_events'),
      events.map((value) => ({ key: value.profileId, value })),
    );
    const env = {
      ...kafkaJobEnv(services, ns, redisDb),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/${db.url.split('/').pop()}`,
      // the route script's sandbox (isolated-vm) wants Node without its startup snapshot
      NODE_OPTIONS: '--no-node-snapshot',
    };
    const start = () => {
      const job = startJobProcess(MAIN, { env });
      jobs.push(job);
      return job;
    };
    const count = async () =>
      Number((await db.client.query('SELECT count(*) AS n FROM tv_plays')).rows[0].n);
    return { db, proxy, reader, start, count, topic };
  }

  /** Waits until `done`, polling; fails with `why()` after `timeoutMs`. */
  async function until(done: () => Promise<boolean>, why: () => string, timeoutMs = 90_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out: ${why()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The Kafka route's records: duplicates only with the same id and content; one per output. */
  function kafkaRoute(reader: TopicReader, topic: string) {
    const byId = new Map<string, string>();
    for (const r of reader.records.filter((r) => r.topic === topic)) {
      const content = JSON.stringify(r.value);
      expect(byId.get(r.headers[HEADER_ID]) ?? content).toBe(content);
      byId.set(r.headers[HEADER_ID], content);
    }
    return [...byId.values()].map((v) => JSON.parse(v) as { playId: string });
  }

  const sortedByPlay = <T extends { playId: string }>(rows: readonly T[]) =>
    [...rows].sort((a, b) => Number(a.playId.slice(5)) - Number(b.playId.slice(5)));

  /** Waits for the Kafka route to hold every expected record, then compares them. */
  async function expectKafkaRoute(
    reader: TopicReader,
    topic: string,
    expected: ReadonlyArray<{ playId: string }>,
    job: JobProcess,
  ) {
    await reader.waitFor(
      () => kafkaRoute(reader, topic).length >= expected.length,
      60_000,
      () => job.output(),
    );
    expect(sortedByPlay(kafkaRoute(reader, topic))).toEqual(sortedByPlay(expected));
  }

  /**
   * The router started on the first half of `events`; once rows are in, PostgreSQL is
   * taken down and the other half sent, so its writes must fail.
   */
  async function downMidRun(name: string, events: readonly PlayEvent[], redisDb: number) {
    const half = events.length / 2;
    const set = await setUp(name, events.slice(0, half), redisDb);
    const job = set.start();
    await until(
      async () => (await set.count()) > 0,
      () => job.output(),
    );
    await set.proxy.down();
    await produce(
      kafka,
      set.topic('play_events'),
      events.slice(half).map((value) => ({ key: value.profileId, value })),
    );
    return { ...set, job };
  }

  /** A restart after the kill: the table and the Kafka route come to equal the reference. */
  async function restartToReference(
    set: Pick<Awaited<ReturnType<typeof setUp>>, 'db' | 'reader' | 'start' | 'count' | 'topic'>,
    expected: ReturnType<typeof referenceRoutes>,
    atKill: number,
  ) {
    const second = set.start();
    await until(
      async () => (await set.count()) === expected['tv-plays'].length,
      () => `${atKill} rows at the kill\n${second.output()}`,
    );
    expect(byPlayId(await set.db.rows())).toEqual(expected['tv-plays']);
    await expectKafkaRoute(
      set.reader,
      set.topic('long_us_plays'),
      expected['long-us-plays'],
      second,
    );
    expect(await second.stop()).toBe(0);
  }

  it('loses nothing and duplicates no row while PostgreSQL is away', async () => {
    const events = generatePlayEvents(3_000, 21);
    const expected = referenceRoutes(events);
    const { db, proxy, reader, count, topic, job } = await downMidRun('router-pg-down', events, 8);
    // the fault landed: the sink's writes fail and are retried while it is down
    await job.waitForLog(/writing \d+ record\(s\) to sink "tv-plays" failed \(attempt 2\)/, 30_000);
    const whileDown = await count();
    expect(whileDown).toBeLessThan(expected['tv-plays'].length);
    expect(proxy.refused()).toBeGreaterThan(0);
    await proxy.up();
    await until(
      async () => (await count()) === expected['tv-plays'].length,
      () => `${whileDown} rows while down\n${job.output()}`,
    );
    await job.waitForLog(/sink "tv-plays" is writing again/, 10_000);
    expect(byPlayId(await db.rows())).toEqual(expected['tv-plays']);
    await expectKafkaRoute(reader, topic('long_us_plays'), expected['long-us-plays'], job);
    // each route's counts on /metrics: every record in once (none was read again)
    const port = /status on http:\/\/localhost:(\d+)/.exec(job.output())?.[1];
    const metrics = await (await fetch(`http://localhost:${port}/metrics`)).text();
    const routeCount = (route: string, outcome: string) =>
      Number(
        new RegExp(
          `stream_gen_route_records_total\\{job="PlayEventsRouter",route="${route}",outcome="${outcome}"\\} (\\d+)`,
        ).exec(metrics)?.[1],
      );
    expect(routeCount('tv-plays', 'in')).toBe(events.length);
    expect(routeCount('tv-plays', 'out')).toBe(expected['tv-plays'].length);
    expect(routeCount('all-plays', 'out')).toBe(events.length);
    expect(routeCount('rated-kids-plays', 'failed')).toBe(0);
    expect((await job.health()).tasks).toHaveLength(PARTITIONS);
    // SIGTERM: a graceful stop, with a final checkpoint, and exit 0
    expect(await job.stop()).toBe(0);
  });

  it('goes on with the other routes while PostgreSQL is away, and a kill -9 then loses no row', async () => {
    const events = generatePlayEvents(3_000, 25);
    const expected = referenceRoutes(events);
    const {
      db,
      proxy,
      reader,
      start,
      count,
      topic,
      job: first,
    } = await downMidRun('router-pg-kill', events, 10);
    // the fault landed: writes to PostgreSQL fail while it is away, for several retries
    // (so the job tried to checkpoint meanwhile: it checkpoints every 300 ms)
    await first.waitForLog(
      /writing \d+ record\(s\) to sink "tv-plays" failed \(attempt 4\)/,
      30_000,
    );
    // the sink buffer: the Kafka route beside it got the events sent while it was away
    await expectKafkaRoute(reader, topic('long_us_plays'), expected['long-us-plays'], first);
    await first.kill();
    const atKill = await count();
    expect(atKill).toBeLessThan(expected['tv-plays'].length);
    expect(proxy.refused()).toBeGreaterThan(0);
    // no checkpoint passed the rows still waiting: a restart writes them all
    await proxy.up();
    await restartToReference({ db, reader, start, count, topic }, expected, atKill);
  });

  it('after kill -9 mid-stream and a restart, writes what a failure-free run writes', async () => {
    const events = generatePlayEvents(12_000, 23);
    const expected = referenceRoutes(events);
    const { db, reader, start, count, topic } = await setUp('router-kill', events, 9);
    const first = start();
    await until(
      async () => (await count()) >= 200,
      () => first.output(),
    );
    await first.kill();
    // the kill landed mid-run: part of the rows were written
    const atKill = await count();
    expect(atKill).toBeLessThan(expected['tv-plays'].length);
    await restartToReference({ db, reader, start, count, topic }, expected, atKill);
  });
});

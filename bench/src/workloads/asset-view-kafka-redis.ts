import { Redis } from 'ioredis';
import {
  cacheKey,
  foldAssets,
  generateAssets,
  sortedView,
  viewKey,
  type AssetEvent,
  type CachedAssets,
  type GeneratedAssets,
} from '@stream-gen/sample-asset-view';
import { assetViewSinks } from '@stream-gen/sample-asset-view/dist/generated/asset-view.runner.generated';
import type { AssetViewJobParams } from '../jobs/asset-view-kafka-redis.job';
import { checkRetained } from '../input-data';
import { percentile } from '../percentile';
import type { JobReport } from '../protocol';
import { fromReport, round } from '../results';
import type { SuiteContext } from '../suite-context';
import { topicSize } from './topic-records';
import { kafkaJobParams, type Workload } from './workload';

const NAME = 'asset-view-kafka-redis';
/** The job's cache prefix (no namespace): the view lives on the state's Redis, flushed before the job. */
const PREFIX = 'assets';
/**
 * 250 movies on 4 CDNs: 1 000 keys, so the key-partitioned topic fills its 16
 * partitions about evenly (the generator's default 160 keys would leave some at twice
 * the mean), and every probe can go to a key of its own.
 */
const MOVIES = 250;
/**
 * Asset events: as many as the join's impressions (quick 200 000), at most 300 000
 * (full): about 110 bytes each, the busiest partition then holds about 1.5 and 2.2 MB
 * of the mock's ~5 MB.
 */
const MAX_EVENTS = 300_000;
const PROBES_PER_SECOND = 20;
const POLL_MS = 250;
const CATCH_UP_TIMEOUT_MS = 120_000;
/** How long the last probe may take to reach the cache before the run fails. */
const PROBE_TIMEOUT_MS = 30_000;

type View = Record<string, CachedAssets>;

/** Fails when the job process ended although the bench has not stopped it. */
type Alive = () => void;

/** The view as clients read it (`HGET assets:<cdn>:<movieId> value`), keys without the prefix. */
async function readView(redis: Redis): Promise<View> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    // the tasks' indexes and markers are no part of the view
    for (const key of batch) if (!key.startsWith(`${PREFIX}:__`)) keys.add(key);
  } while (cursor !== '0');
  const ordered = [...keys];
  const replies = ordered.length
    ? ((await redis.pipeline(ordered.map((key) => ['hget', key, 'value'])).exec()) ?? [])
    : [];
  const view = new Map<string, CachedAssets>();
  replies.forEach(([error, value], i) => {
    if (error) throw error;
    // a tombstone has no value: the key is absent for a client
    if (typeof value === 'string') {
      view.set(ordered[i].slice(PREFIX.length + 1), JSON.parse(value) as CachedAssets);
    }
  });
  return sortedView(view);
}

/** The keys where `actual` is not `expected`, one line each. */
function differences(expected: View, actual: View): string[] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const text = (assets: CachedAssets | undefined) => (assets ? JSON.stringify(assets) : 'absent');
  return keys.flatMap((key) => {
    const [wanted, held] = [text(expected[key]), text(actual[key])];
    return wanted === held ? [] : [`${key}: expected ${wanted}, cache ${held}`];
  });
}

/** Polls the cache until it holds exactly `expected`; fails with the differences after the timeout. */
async function waitForView(
  redis: Redis,
  expected: View,
  alive: Alive,
  after: string,
): Promise<void> {
  const deadline = performance.now() + CATCH_UP_TIMEOUT_MS;
  for (;;) {
    alive();
    const problems = differences(expected, await readView(redis));
    if (problems.length === 0) return;
    if (performance.now() > deadline) {
      throw new Error(
        `${NAME}: ${CATCH_UP_TIMEOUT_MS / 1000} s after ${after} the cache differs from foldAssets ` +
          `at ${problems.length} key(s): ${problems.slice(0, 10).join('; ')}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/**
 * When each probe reached the cache, from Redis keyspace notifications of the cache keys
 * (`notify-keyspace-events Kh`, switched on only while probing, so the bulk run's state
 * writes do not pay for them): the write script's HSET notifies the subscriber as it
 * runs, and an HGET then confirms the probe's asset is in the value. No polling load on
 * the Redis the job uses, and no poll interval in the measure. Each probe has a key of
 * its own, so a notification belongs to one probe.
 */
class PublishClock {
  /** Cache key → the probe on it and when it was sent. */
  private readonly pending = new Map<string, { assetId: string; sentAt: number }>();
  readonly latencies: number[] = [];

  private constructor(
    private readonly subscriber: Redis,
    private readonly reader: Redis,
    private readonly restore: string,
  ) {}

  static async start(url: string): Promise<PublishClock> {
    const reader = new Redis(url);
    const [, restore] = (await reader.config('GET', 'notify-keyspace-events')) as string[];
    await reader.config('SET', 'notify-keyspace-events', 'Kh');
    const clock = new PublishClock(new Redis(url), reader, restore ?? '');
    clock.subscriber.on('pmessage', (_pattern: string, channel: string, event: string) => {
      const at = performance.now();
      if (event === 'hset') void clock.notified(channel.slice(channel.indexOf('__:') + 3), at);
    });
    await clock.subscriber.psubscribe(`__keyspace@*__:${PREFIX}:*`);
    return clock;
  }

  sent(key: string, assetId: string, at: number): void {
    this.pending.set(key, { assetId, sentAt: at });
  }

  /** Resolves once every probe sent reached the cache. */
  async allArrived(alive: Alive): Promise<void> {
    const deadline = performance.now() + PROBE_TIMEOUT_MS;
    while (this.pending.size > 0) {
      alive();
      if (performance.now() > deadline) {
        const missing = [...this.pending].map(([key, p]) => `${p.assetId} on ${key}`);
        throw new Error(
          `${NAME}: ${missing.length} probe(s) not in the cache ${PROBE_TIMEOUT_MS / 1000} s ` +
            `after the last was sent: ${missing.slice(0, 10).join(', ')}`,
        );
      }
      await sleep(50);
    }
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    await this.reader.config('SET', 'notify-keyspace-events', this.restore);
    await this.reader.quit();
  }

  private async notified(key: string, at: number): Promise<void> {
    const probe = this.pending.get(key);
    if (!probe) return;
    const value = await this.reader.hget(key, 'value');
    if (this.pending.get(key) !== probe || value === null) return;
    if (!(probe.assetId in (JSON.parse(value) as CachedAssets))) return;
    this.pending.delete(key);
    this.latencies.push(at - probe.sentAt);
  }
}

/**
 * Sends one probe every 1/PROBES_PER_SECOND s, each on its own request: an `added` of a
 * fresh asset id on a key of its own, timestamped after every generated record. Its
 * latency runs from just before the send to the write of the cache value holding it.
 */
async function sendProbes(
  ctx: SuiteContext,
  topic: string,
  keys: ReadonlyArray<{ cdn: string; movieId: string }>,
  clock: PublishClock,
  firstTs: number,
): Promise<AssetEvent[]> {
  const probes: AssetEvent[] = [];
  const count = Math.min(PROBES_PER_SECOND * ctx.options.latencySeconds, keys.length);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await sleep(started + (i * 1000) / PROBES_PER_SECOND - performance.now());
    const probe: AssetEvent = { ...keys[i], assetId: `probe-${i}`, op: 'added', ts: firstTs + i };
    clock.sent(cacheKey(probe, PREFIX), probe.assetId, performance.now());
    await ctx.producer.send({
      topic,
      acks: -1,
      messages: [{ key: viewKey(probe), value: JSON.stringify(probe) }],
    });
    probes.push(probe);
  }
  return probes;
}

/** Records as the sample's sources hold them: keyed by `${cdn}:${movieId}`, the key partitioning them. */
const messages = (records: readonly AssetEvent[]) =>
  records.map((r) => ({ key: viewKey(r), value: JSON.stringify(r) }));

/**
 * The events and the full publishes on topics of their own, pre-produced; returns the
 * topics and about how many MB the busiest partition of the events holds.
 */
async function produceAssets(
  ctx: SuiteContext,
  data: GeneratedAssets,
): Promise<{ sources: Record<'asset-events' | 'full-publish', string>; busiestMb: number }> {
  const chunk = 1000 * ctx.options.partitions; // as the join's input is sent
  const sources = await ctx.createTopics(NAME, ['asset-events', 'full-publish']);
  const events = messages(data.events);
  await ctx.produce(sources['asset-events'], events, chunk);
  await ctx.produce(sources['full-publish'], messages(data.fullPublishes.flat()), chunk);
  await checkRetained(ctx.kafka, Object.values(sources));
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(sources['asset-events']);
    const busiest = Math.max(...offsets.map((o) => Number(o.high) - Number(o.low)));
    const bytes = events.reduce((n, m) => n + m.key.length + m.value.length, 0);
    return { sources, busiestMb: (busiest * bytes) / events.length / 1e6 };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Runs the job process while `use` runs, then stops it: resolves with its report and
 * what `use` returned. `use` gets a check that throws once the job process ended early.
 */
async function whileJobRuns<T>(
  ctx: SuiteContext,
  params: AssetViewJobParams,
  use: (alive: Alive, readyAt: () => number) => Promise<T>,
): Promise<{ report: JobReport; value: T }> {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let readyAt = NaN;
  const job = ctx.runJob(
    NAME,
    { workload: NAME, params },
    { stop: stopped, onReady: () => (readyAt = performance.now()) },
  );
  let exit: unknown;
  job.then(
    () => (exit = new Error(`${NAME}: the job process ended before the bench stopped it`)),
    (error: unknown) => (exit = error),
  );
  try {
    const value = await use(
      () => {
        if (exit !== undefined) throw exit;
      },
      () => readyAt,
    );
    stop();
    return { report: await job, value };
  } finally {
    stop();
    await job.catch(() => undefined);
  }
}

/** Sends the probes and resolves once each is in the cache: the probes and their latencies. */
async function timePublishes(
  ctx: SuiteContext,
  topic: string,
  keys: ReadonlyArray<{ cdn: string; movieId: string }>,
  firstTs: number,
  alive: Alive,
): Promise<{ probes: AssetEvent[]; latencies: number[] }> {
  const clock = await PublishClock.start(ctx.services.redis.url);
  try {
    const probes = await sendProbes(ctx, topic, keys, clock, firstTs);
    await clock.allArrived(alive);
    return { probes, latencies: [...clock.latencies].sort((a, b) => a - b) };
  } finally {
    await clock.close();
  }
}

/**
 * AssetView on Kafka + Redis: events/s over seeded asset events and full publishes, then
 * the publish latency of probes sent while it runs on. Fails unless the cache equals
 * foldAssets of everything sent, after the bulk input and after the probes, and nothing
 * went to dead-letters.
 */
export const assetViewKafkaRedis: Workload = {
  name: NAME,
  title:
    'AssetView (sample, an event-sourced view: asset adds and deletes unioned with full publishes, published to a Redis cache after every 1 s checkpoint), Kafka + Redis, then its publish latency',
  async run(ctx) {
    const data = generateAssets({
      seed: ctx.options.seed,
      events: Math.min(ctx.options.impressions, MAX_EVENTS),
      movies: MOVIES,
    });
    const bulk = [...data.events, ...data.fullPublishes.flat()];
    const { sources, busiestMb } = await produceAssets(ctx, data);
    const params: AssetViewJobParams = {
      ...(await kafkaJobParams(ctx, NAME, sources, assetViewSinks)),
      records: bulk.length,
    };
    const keys = [...new Map(data.events.map((e) => [viewKey(e), e])).values()];
    const lastTs = bulk.reduce((max, r) => Math.max(max, r.ts), 0);
    const cache = new Redis(ctx.services.redis.url);
    try {
      const { report, value } = await whileJobRuns(ctx, params, async (alive, readyAt) => {
        await waitForView(cache, sortedView(foldAssets(bulk)), alive, 'the pre-produced input');
        const caughtUpMs = performance.now() - readyAt();
        const timed = await timePublishes(ctx, sources['asset-events'], keys, lastTs + 1, alive);
        const all = [...bulk, ...timed.probes];
        await waitForView(cache, sortedView(foldAssets(all)), alive, 'the probes');
        return { ...timed, caughtUpMs };
      });
      const deadLetters = await topicSize(ctx.kafka, params.topics.sinks['dead-letters']);
      if (deadLetters > 0) {
        throw new Error(`${NAME}: ${deadLetters} record(s) went to dead-letters`);
      }
      const { probes, latencies, caughtUpMs } = value;
      const [p50, p99] = [percentile(latencies, 0.5), percentile(latencies, 0.99)];
      return [
        fromReport(NAME, report, {
          p50Ms: p50,
          p99Ms: p99,
          details: {
            assetEvents: data.events.length,
            fullPublishRecords: bulk.length - data.events.length,
            keys: keys.length,
            busiestPartitionMb: round(busiestMb, 2),
            caughtUpMs: round(caughtUpMs),
            probes: probes.length,
            probeMaxMs: round(latencies[latencies.length - 1], 1),
            matchesFold: true,
          },
          notes: [
            `${NAME}: publish latency of ${probes.length} probes at ${PROBES_PER_SECOND}/s (an add each, ` +
              `a key each; from the send to the cache write holding it): p50 ${Math.round(p50)} ms, ` +
              `p99 ${Math.round(p99)} ms. It includes the mock's fetch wait (the runtime's 500 ms) and ` +
              "the wait for the task's next checkpoint (every 1 s), after which the view is published",
          ],
        }),
      ];
    } finally {
      cache.disconnect();
    }
  },
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

import type { GeneratedEvent } from '@stream-gen/sample-impression-join';
import { byTopic, encodeEvents, joinEvents } from '../input-data';
import type { JobReport, JobRequest } from '../protocol';
import type { SuiteContext } from '../suite-context';

/**
 * The producer sends what is due every 200 ms (its linger). The mock answers a fetch with
 * one message set per partition, so this sets the batches a consumer gets: at 50 ms they
 * are so small that a job lagging behind never catches up (a real broker would hand it
 * the whole backlog).
 */
const TICK_MS = 200;
/** Longer than a fetch may wait on the broker (at most 5 s, kafkajs' default maxWaitTimeInMs). */
const DRAIN_QUIET_MS = 6000;
const DRAIN_MAX_MS = 30_000;
/** Records produced in the first seconds are not sampled (JIT warm-up, first fetches). */
export const WARMUP_MS = 2000;
/** Generated events per impression (playRate 0.3: 1 impression + 0.3 plays). */
const EVENTS_PER_IMPRESSION = 1.3;
/**
 * The mock keeps about 45 000 impressions per partition; a live run stays well under
 * it, so a job that lags does not lose input to the mock's retention (it would stall).
 */
const MAX_LIVE_IMPRESSIONS_PER_PARTITION = 25_000;

export interface LiveRun {
  readonly report: JobReport;
  /** Input rate, events/s. */
  readonly rate: number;
  /** Where the rate came from, for notes. */
  readonly rateSource: string;
  readonly producedRate: number;
  /** How long the bench produced: the configured time, shorter at rates the mock cannot retain. */
  readonly seconds: number;
}

/** Half the join's measured maximum, or --latency-rate. */
export function liveRate(ctx: SuiteContext): { rate: number; source: string } {
  if (ctx.options.latencyRate !== undefined) {
    return { rate: Math.round(ctx.options.latencyRate), source: 'set by --latency-rate' };
  }
  const max = ctx.result('join-kafka-redis')?.entry.eventsPerSec;
  if (max === undefined) {
    throw new Error('the latency workloads need join-kafka-redis first (or --latency-rate)');
  }
  return { rate: Math.round(max / 2), source: `half of join-kafka-redis's ${max}` };
}

/**
 * Runs a job process while the bench produces fresh generated join events (seed + 1)
 * at a fixed rate for the configured time, once the job owns its partitions and
 * `ready()` holds; then waits until `lastArrival()` is older than the fetch wait,
 * and stops the job.
 */
export async function runWithLiveInput(
  ctx: SuiteContext,
  name: string,
  options: {
    readonly request: (topics: { impressions: string; plays: string }) => Promise<JobRequest>;
    readonly ready?: () => boolean;
    readonly onSent?: (events: readonly GeneratedEvent[], at: number) => void;
    readonly lastArrival?: () => number;
  },
): Promise<LiveRun> {
  const { rate, source } = liveRate(ctx);
  const topics = await ctx.createTopics(name, ['impressions', 'plays']);
  const impressions = Math.min(
    Math.round((rate * ctx.options.latencySeconds) / EVENTS_PER_IMPRESSION),
    MAX_LIVE_IMPRESSIONS_PER_PARTITION * ctx.options.partitions,
  );
  const seconds = (impressions * EVENTS_PER_IMPRESSION) / rate;
  const events = joinEvents(impressions, ctx.options.seed + 1);
  let jobReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (jobReady = resolve));
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const job = ctx.runJob(name, await options.request(topics), {
    onReady: jobReady,
    stop: stopped,
  });
  try {
    await Promise.race([ready, job]);
    await waitUntil(options.ready ?? (() => true), 60_000, 'the reader did not join its group');
    const producedMs = await produceAtRate(ctx, events, topics, rate, options.onSent);
    const drainStart = performance.now();
    const lastArrival = options.lastArrival ?? (() => 0);
    while (
      performance.now() - Math.max(lastArrival(), drainStart) < DRAIN_QUIET_MS &&
      performance.now() - drainStart < DRAIN_MAX_MS
    ) {
      await sleep(100);
    }
    stop();
    return {
      report: await job,
      rate,
      rateSource: source,
      producedRate: Math.round(events.length / (producedMs / 1000)),
      seconds: Math.round(seconds * 10) / 10,
    };
  } finally {
    stop();
    await job.catch(() => undefined);
  }
}

/** Sends `events` at `rate` events/s from now, in arrival order; resolves to the time taken. */
async function produceAtRate(
  ctx: SuiteContext,
  events: readonly GeneratedEvent[],
  topics: { impressions: string; plays: string },
  rate: number,
  onSent: ((events: readonly GeneratedEvent[], at: number) => void) | undefined,
): Promise<number> {
  const encoded = encodeEvents(events, topics); // before the clock starts
  const started = performance.now();
  let sent = 0;
  while (sent < events.length) {
    const due = Math.min(events.length, Math.floor(((performance.now() - started) / 1000) * rate));
    if (due > sent) {
      onSent?.(events.slice(sent, due), performance.now());
      await ctx.producer.sendBatch({ acks: -1, topicMessages: byTopic(encoded.slice(sent, due)) });
      sent = due;
    }
    await sleep(TICK_MS);
  }
  return performance.now() - started;
}

async function waitUntil(done: () => boolean, timeoutMs: number, why: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(why);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

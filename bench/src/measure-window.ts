import type { Measured } from './protocol';

/** A job as the measurement sees it while it runs. */
export interface RunningJob {
  /** Events done so far (consumed, or processed, as the workload defines it). */
  progress(): number;
  /** True once the job owns its partitions (a consumer group assigned them). */
  ready(): boolean;
  /** Rejects when the job fails while it runs. */
  readonly failed: Promise<never>;
  /** Stops the job gracefully (final checkpoint, leave the group). */
  stop(): Promise<void>;
  /** Numbers to report besides the standard ones (metrics). */
  details(): Record<string, unknown>;
}

export interface WindowOptions {
  /** The window ends when progress reaches this. */
  readonly expected?: number;
  /** ...or when this resolves (open-ended runs). */
  readonly stopRequested?: Promise<void>;
  /** Called once the job is ready. */
  readonly onReady?: () => void;
  /** Round trips to Redis made so far by this process (omit when it does not use Redis). */
  readonly redisRoundTrips?: () => number;
  /** Counters whose growth over the window goes to the details, as `window` (rounded). */
  readonly counters?: () => Record<string, number>;
  /** Give up when progress does not move for this long once started (default 60 s). */
  readonly stallMs?: number;
}

interface Probe {
  readonly at: number;
  readonly count: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly roundTrips: number;
  readonly counters: Record<string, number>;
}

const POLL_MS = 5;
const READY_TIMEOUT_MS = 60_000;

/**
 * Measures a running job from the first event it processed to the last: wall time,
 * this process's CPU time and its Redis round trips between the two. Startup (the
 * consumer group join) and shutdown (the final checkpoint) are outside the window.
 */
export async function measureWindow(job: RunningJob, options: WindowOptions): Promise<Measured> {
  const probe = (): Probe => ({
    at: performance.now(),
    count: job.progress(),
    cpu: process.cpuUsage(),
    roundTrips: options.redisRoundTrips?.() ?? 0,
    counters: options.counters?.() ?? {},
  });
  let stopRequested = false;
  void options.stopRequested?.then(() => (stopRequested = true));
  let first: Probe | undefined;
  let last: Probe | undefined;
  let readyAt: number | undefined;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const watch = new Promise<void>((resolve, reject) => {
    timer = setInterval(() => {
      const now = performance.now();
      if (readyAt === undefined) {
        if (job.ready()) {
          readyAt = now;
          options.onReady?.();
        } else if (now - started > READY_TIMEOUT_MS) {
          clearInterval(timer);
          reject(new Error(`the job did not get its partitions within ${READY_TIMEOUT_MS} ms`));
          return;
        }
      }
      const count = job.progress();
      if (count > 0 && first === undefined) first = probe();
      else if (first !== undefined && count > (last ?? first).count) last = probe();
      const done = (options.expected !== undefined && count >= options.expected) || stopRequested;
      const stalled = first !== undefined && now - (last ?? first).at > (options.stallMs ?? 60_000);
      if (done || stalled) {
        clearInterval(timer);
        if (stalled && !done) {
          reject(new Error(`no progress for ${options.stallMs ?? 60_000} ms at ${count} events`));
        } else resolve();
      }
    }, POLL_MS);
  });
  try {
    await Promise.race([watch, job.failed]);
  } finally {
    clearInterval(timer);
  }
  await job.stop();
  if (!first || !last) throw new Error('the job processed no events (or all in one go)');
  return {
    events: last.count - first.count,
    windowMs: last.at - first.at,
    cpuSeconds: cpuSeconds(first.cpu, last.cpu),
    redisRoundTrips: options.redisRoundTrips ? last.roundTrips - first.roundTrips : null,
    details: options.counters
      ? { ...job.details(), window: counterDeltas(first.counters, last.counters) }
      : job.details(),
  };
}

function counterDeltas(
  from: Record<string, number>,
  to: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(to)) {
    const delta = value - (from[name] ?? 0);
    if (delta > 0) out[name] = Math.round(delta);
  }
  return out;
}

export function cpuSeconds(from: NodeJS.CpuUsage, to: NodeJS.CpuUsage): number {
  return (to.user - from.user + (to.system - from.system)) / 1e6;
}

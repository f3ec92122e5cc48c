import { backoffMs } from '../util/retry';
import type { Clock } from '../time/clock';
import { errorMessage } from '../util/error-message';
import { Semaphore } from './semaphore';
import { TokenBucket } from './token-bucket';

export interface AsyncLimits {
  /** Calls in flight at most (per process, over all tasks). */
  readonly concurrency: number;
  /** Calls started per second at most, with an optional burst (default 1). */
  readonly rateLimit?: { readonly perSecond: number; readonly burst?: number };
  /** A call slower than this is aborted and counts as a failed attempt. */
  readonly timeoutMs?: number;
  /** Attempts after the first one. */
  readonly retries?: number;
  /** Wait before retry n is `backoffMs * 2^(n-1)` (default 100). */
  readonly backoffMs?: number;
}

export type CallResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/**
 * Calls an external service under limits: a concurrency cap, a token-bucket rate
 * limit, a per-call timeout (the call's AbortSignal fires), and retries with
 * exponential backoff. Never throws: a call that still fails says why.
 */
export class AsyncCaller {
  private readonly slots: Semaphore;
  private readonly bucket: TokenBucket | undefined;

  constructor(
    private readonly limits: AsyncLimits,
    clock: Clock,
  ) {
    this.slots = new Semaphore(limits.concurrency);
    this.bucket = limits.rateLimit
      ? new TokenBucket(limits.rateLimit.perSecond, limits.rateLimit.burst ?? 1, clock)
      : undefined;
  }

  async call(fn: (signal: AbortSignal) => Promise<unknown>): Promise<CallResult> {
    const attempts = (this.limits.retries ?? 0) + 1;
    let reason = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(backoffMs(attempt - 1, this.limits.backoffMs ?? 100));
      // The slot first: a token taken while waiting for a slot would let calls
      // bunch up when slots free, and the service would see more than the rate.
      await this.slots.acquire();
      try {
        await this.bucket?.take();
        return { ok: true, value: await this.attempt(fn) };
      } catch (error) {
        reason = errorMessage(error);
      } finally {
        this.slots.release();
      }
    }
    return {
      ok: false,
      reason: `failed after ${attempts} attempt${attempts > 1 ? 's' : ''}: ${reason}`,
    };
  }

  private attempt(fn: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> {
    const timeout = this.limits.timeoutMs;
    const controller = new AbortController();
    if (timeout === undefined) return fn(controller.signal);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`timed out after ${timeout} ms`));
      }, timeout);
    });
    return Promise.race([fn(controller.signal), expired]).finally(() => clearTimeout(timer));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

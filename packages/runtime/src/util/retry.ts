/** How long to wait before retry `attempt` (1 = the first retry): doubling from `firstMs`, at most `maxMs`. */
export function backoffMs(
  attempt: number,
  firstMs: number,
  maxMs = Number.POSITIVE_INFINITY,
): number {
  return Math.min(maxMs, firstMs * 2 ** (attempt - 1));
}

export interface RetryPolicy {
  /** Wait before the first retry, ms; doubles per retry. */
  readonly firstWaitMs: number;
  readonly maxWaitMs: number;
  /** How long retrying may go on, ms, before the last error is thrown (default: forever). */
  readonly budgetMs?: number;
  /** True: the error is final (permanent, or the job gave up), thrown without waiting. */
  readonly final?: (error: unknown) => boolean;
  /** Told before each wait: log it. */
  readonly onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What {@link retrying} throws when it gives up: the last error, and how long it tried. */
export class RetriesExhausted extends Error {
  constructor(
    readonly lastError: unknown,
    readonly attempts: number,
    readonly triedMs: number,
  ) {
    super(`gave up after ${attempts} attempt(s) in ${triedMs} ms`);
    this.name = 'RetriesExhausted';
  }
}

/**
 * Calls `attempt` until it resolves, waiting with exponential backoff between tries;
 * the one retry loop of the runtime (sink writes, exchange writes, lookup loads).
 */
export async function retrying<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
): Promise<T> {
  const started = Date.now();
  const sleep = policy.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const waitMs = backoffMs(n, policy.firstWaitMs, policy.maxWaitMs);
      const over = Date.now() - started + waitMs > (policy.budgetMs ?? Number.POSITIVE_INFINITY);
      if (over || policy.final?.(error)) {
        throw new RetriesExhausted(error, n, Date.now() - started);
      }
      policy.onRetry?.(error, n, waitMs);
      await sleep(waitMs);
    }
  }
}

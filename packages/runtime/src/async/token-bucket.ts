import type { Clock } from '../time/clock';

/**
 * A token bucket: `perSecond` tokens a second, at most `burst` saved up. `take()`
 * resolves when a token is available, so callers wait instead of piling up.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: Clock,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(perSecond > 0))
      throw new RangeError(`rate limit must be > 0 calls per second, got ${perSecond}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.tokens = burst;
    this.updatedAt = clock.now();
  }

  /** Waits for a token; callers are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.next());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async next(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.tokens = Math.min(
        this.burst,
        this.tokens + ((now - this.updatedAt) * this.perSecond) / 1000,
      );
      this.updatedAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) * 1000) / this.perSecond));
    }
  }
}

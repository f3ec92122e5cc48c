import { errorMessage } from '../util/error-message';
import { retrying } from '../util/retry';
import type { Logger } from '../util/logger';

/** A lookup table (side input): `load` fetches it and keeps it where the function reads it. */
export interface LookupSpec {
  readonly name: string;
  readonly refreshMs: number;
  readonly load: () => Promise<void>;
}

/**
 * Loads every table, retrying with backoff until each first load succeeded (the task
 * does not process before), then reloads them on their intervals. A failed reload is
 * logged and the previous table stays in use.
 */
export async function startLookups(
  lookups: readonly LookupSpec[],
  logger: Logger,
): Promise<() => void> {
  for (const lookup of lookups) {
    await retrying(() => lookup.load(), {
      firstWaitMs: 250,
      maxWaitMs: 30_000,
      onRetry: (error, attempt, waitMs) =>
        logger.warn(
          `lookup "${lookup.name}" failed to load (attempt ${attempt}): ${errorMessage(error)}; retrying in ${waitMs} ms`,
        ),
    });
  }
  const timers = lookups.map((lookup) => {
    const timer = setInterval(() => {
      lookup.load().catch((error: unknown) => {
        logger.warn(
          `lookup "${lookup.name}" failed to refresh, keeping the previous table: ${errorMessage(error)}`,
        );
      });
    }, lookup.refreshMs);
    timer.unref();
    return timer;
  });
  return () => timers.forEach(clearInterval);
}

/**
 * The lookup tables of what one owner opened (a task's chain stages, the re-keying
 * stage's): each set is loaded as it is started, and {@link stop} ends every refresh.
 */
export class RunningLookups {
  private readonly stops: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  /** Loads the tables (see {@link startLookups}), then keeps them refreshed until {@link stop}. */
  async start(lookups: readonly LookupSpec[]): Promise<void> {
    if (lookups.length === 0) return;
    const stop = await startLookups(lookups, this.logger);
    // stopped while the first loads were retrying: no refresh may outlive the owner
    if (this.stopped) stop();
    else this.stops.push(stop);
  }

  /** Runs `release` at {@link stop} (at once when stopped already): a stage's own resources. */
  onStop(release: () => void): void {
    if (this.stopped) release();
    else this.stops.push(release);
  }

  stop(): void {
    this.stopped = true;
    this.stops.splice(0).forEach((stop) => stop());
  }
}

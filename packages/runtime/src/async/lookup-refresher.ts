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

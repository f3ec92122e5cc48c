import { errorMessage } from '../util/error-message';
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
    for (let attempt = 1; ; attempt++) {
      try {
        await lookup.load();
        break;
      } catch (error) {
        const waitMs = Math.min(30_000, 250 * 2 ** (attempt - 1));
        logger.warn(
          `lookup "${lookup.name}" failed to load (attempt ${attempt}): ${errorMessage(error)}; retrying in ${waitMs} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
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

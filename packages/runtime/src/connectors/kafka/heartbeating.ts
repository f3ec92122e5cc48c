import type { Logger } from '../../util/logger';
import { errorMessage } from '../../util/error-message';

/**
 * Runs `work` while heartbeating every `intervalMs`, so a batch that waits long (a
 * sink retrying for minutes, a task restoring) does not get the member expelled from
 * its group. kafkajs heartbeats from its fetch loop too, but only once a fetch returns,
 * which can take `maxWaitTimeInMs`; a heartbeat that fails (a rebalance under way) is
 * left to kafkajs' next one.
 */
export async function heartbeating<T>(
  heartbeat: () => Promise<void>,
  intervalMs: number,
  logger: Logger,
  work: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => {
    heartbeat().catch((error: unknown) =>
      logger.debug(`heartbeat while a batch waits failed: ${errorMessage(error)}`),
    );
  }, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

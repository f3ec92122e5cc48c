import type { TaskKeys } from './redis-keys';
import type { RedisClient } from './redis-scripts';
import { scriptFailure } from './script-errors';

/** How often a script is run again when a commit added a state since SMEMBERS. */
const ATTEMPTS = 3;

/**
 * Runs `attempt` with the names of every state hash of a task (its `states` set).
 * Scripts that rewrite a task's state hashes get them all in KEYS (Redis Cluster routes
 * by KEYS), and fail with SGSTATES, before any write, when the set lists a name they
 * were not given: a commit added a state meanwhile. Then the names are read again and
 * the script runs again; after the last attempt its SGSTATES error is thrown.
 */
export async function withStateNames<T>(
  client: RedisClient,
  keys: TaskKeys,
  attempt: (names: string[]) => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    const names = (await client.smembers(keys.states)).sort();
    try {
      return await attempt(names);
    } catch (error) {
      if (n < ATTEMPTS && scriptFailure(error)?.code === 'SGSTATES') continue;
      throw error;
    }
  }
}

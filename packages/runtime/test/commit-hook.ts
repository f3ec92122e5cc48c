import type { StateBackend } from '../src';

/**
 * `backend` with a hook in the way of its commits: `before(n)` runs ahead of the n-th
 * commit of the backend (from 1) and may hold it back (a promise) or make it fail (a
 * throw); everything else is the backend's own.
 */
export function beforeCommits(
  backend: StateBackend,
  before: (n: number) => void | Promise<void>,
): StateBackend {
  let commits = 0;
  return {
    describe: () => backend.describe(),
    close: () => backend.close(),
    async openTask(scope) {
      const stores = await backend.openTask(scope);
      const { checkpoints } = stores;
      return {
        state: stores.state,
        checkpoints: {
          latest: () => checkpoints.latest(),
          list: () => checkpoints.list(),
          lineage: () => checkpoints.lineage(),
          async commit(checkpoint, writes, ready) {
            await before(++commits);
            await checkpoints.commit(checkpoint, writes, ready);
          },
        },
      };
    },
  };
}

import type { JobSpec } from '@stream-gen/runtime';
import { hotItemsSpec } from './generated/hot-items.runner.generated';
import { HotItems } from './hot-items.job';

/** The generated HotItems spec with plain instances per task (no Nest container needed). */
export function hotItemsJob(): JobSpec {
  return hotItemsSpec(
    () => new HotItems(),
    (stage) => new stage(),
  );
}

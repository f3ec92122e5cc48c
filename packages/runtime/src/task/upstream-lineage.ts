import { mainStreamOf } from '../job/chain-plan';
import type { JobSpec } from '../job/job-spec';
import type { TaskCheckpoint } from '../state/checkpoint';

/**
 * What a task's checkpoints say of it as the upstream of an exchange, for rewinds (see
 * "Rewind" in epoch-gate.ts): the stream its main output ends in, which pairs it with
 * the keyed stage that reads that stream, and the epochs its history skipped.
 */
export type UpstreamLineage = Pick<TaskCheckpoint, 'stream' | 'skippedEpochs'>;

/** The lineage a task's next checkpoints carry, from the checkpoint it restored (if any). */
export function upstreamLineage(job: JobSpec, restored?: TaskCheckpoint): UpstreamLineage {
  const stream = mainStreamOf(job);
  const skipped = restored?.skippedEpochs;
  return {
    ...(stream !== undefined ? { stream } : {}),
    ...(skipped && skipped.length > 0 ? { skippedEpochs: skipped } : {}),
  };
}

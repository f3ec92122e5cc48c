import { StreamGenError } from '../util/errors';
import type { TaskScope } from './state-backend';

/** A commit was refused because its id does not follow the latest checkpoint. */
export class CheckpointFencedError extends StreamGenError {
  constructor(
    readonly scope: TaskScope,
    readonly attempted: number,
    readonly latest: number,
  ) {
    super(
      `checkpoint ${attempted} of task ${scope.job}/${scope.task} was refused: the latest ` +
        `checkpoint is ${latest}, so the next must be ${latest + 1}. Another process ` +
        `took over this task (or it was rewound, or a failover lost checkpoints); restart the ` +
        `task from the latest checkpoint.`,
    );
  }
}

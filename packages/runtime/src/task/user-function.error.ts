import { StreamGenError } from '../util/errors';

/**
 * A user function threw on every attempt and the job's error policy says `then: 'fail'`.
 * The task stops without a checkpoint: after a fix, the job resumes from its last
 * checkpoint and reads the record again.
 */
export class UserFunctionError extends StreamGenError {
  constructor(
    readonly job: string,
    /** What threw and why, as a dead letter would say it. */
    readonly reason: string,
    /** The record or timer it threw on, e.g. `source "plays" partition 0 offset 17`. */
    readonly position: string,
    cause: unknown,
  ) {
    super(`job ${job} failed (onError.then is 'fail'): ${reason}; at ${position}`);
    this.cause = cause;
  }
}

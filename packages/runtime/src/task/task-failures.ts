import type { JobSpec } from '../job/job-spec';
import { failureReason, type CallFailure } from './call-failure';
import type { TaskOutput } from './task-output';
import { UserFunctionError } from './user-function.error';

/** The input a failed call was about, as its dead letter and the job's failure name it. */
export interface FailedRecord {
  readonly source: string;
  readonly offset: number;
  readonly value: unknown;
  /** Where it is, for the job's failure; default: the source partition and offset. */
  readonly position?: string;
}

/**
 * What a task does with an input it cannot process: sends it to the dead letters,
 * named after the partition it was read from, or fails the job when the error policy
 * says so.
 */
export class TaskFailures {
  constructor(
    private readonly output: TaskOutput,
    private readonly job: Pick<JobSpec, 'name' | 'onError'>,
    private readonly taskId: string,
    /** The partition the task owns, when its id is not that number. */
    private readonly partition: number | undefined,
    /** The partition the batch being processed came from, when it is not the task's own. */
    private readonly upstream: () => number | undefined,
  ) {}

  /**
   * A user function threw on every attempt: the record goes to the dead letters, or
   * the job fails when its error policy says so.
   */
  failed(failure: CallFailure, origin: string, record: FailedRecord): void {
    this.reject(failureReason(failure), failure.error, origin, record);
  }

  /** A call failed for `reason`: the job fails with `cause` when its policy says so, else the record is dead-lettered. */
  reject(reason: string, cause: unknown, origin: string, record: FailedRecord): void {
    const position = record.position ?? this.recordPosition(record.source, record.offset);
    this.failJobIfDeclared(reason, position, cause);
    this.deadLetter(origin, record.source, record.offset, reason, record.value);
  }

  deadLetter(origin: string, source: string, offset: number, reason: string, value: unknown): void {
    // A task is one partition of its sources, its id that partition's number; a re-keyed
    // record names the partition it was read from upstream.
    const partition = this.upstream() ?? this.partition ?? Number(this.taskId);
    this.output.deadLetter(origin, { reason, source, partition, offset, value });
  }

  private failJobIfDeclared(reason: string, position: string, cause: unknown): void {
    if (this.job.onError?.then === 'fail') {
      throw new UserFunctionError(this.job.name, reason, position, cause);
    }
  }

  private recordPosition(source: string, offset: number): string {
    return `source "${source}" partition ${this.upstream() ?? this.taskId} offset ${offset}`;
  }
}

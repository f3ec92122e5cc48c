import { decodeJson } from '../connectors/json-codec';
import type { JobSpec } from '../job/job-spec';
import type { RawRecord } from '../records';
import type { StateBackend } from '../state/state-backend';
import type { JobMetrics } from '../task/metrics';
import { StreamTask, type StreamTaskOptions } from '../task/stream-task';
import type { Clock } from '../time/clock';
import type { Logger } from '../util/logger';
import type { ExchangeWriter } from './exchange-writer';
import type { OutputRouter } from './output-router';
import type { SegmentOptions } from './segment-options';

export interface TaskHostOptions extends SegmentOptions {
  readonly job: JobSpec;
  readonly backend: StateBackend;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: JobMetrics;
  readonly router: OutputRouter;
  /** Processing-time ms between checkpoints of a task. */
  readonly checkpointIntervalMs: number;
  /** How long a failing view publish is retried (the runner's sink retry budget). */
  readonly viewRetryMs?: number;
  /** True once the runner stops or failed: a publish that keeps failing is given up. */
  readonly givenUp?: () => boolean;
}

/** What a runner gives a task of its own when it opens it. */
export interface HostedTaskOptions {
  /** Sources the task reads whole (see `StreamTaskOptions.rekeyed`). */
  readonly rekeyed?: StreamTaskOptions['rekeyed'];
  /** Sources whose watermark the runner sets (see `StreamTaskOptions.externalWatermarks`). */
  readonly externalWatermarks?: ReadonlySet<string>;
  /**
   * After each commit: the committed positions, for the source to record (lag tools,
   * the embedded log's committed offsets). Tasks restore from their checkpoints.
   */
  readonly commitPositions: (positions: Readonly<Record<string, number>>) => Promise<void>;
  /** Whether the marker of the epoch being checkpointed tells the exchange the inputs ended. */
  readonly inputsEnded?: (task: StreamTask) => boolean;
  /** True once the runner gave the task up (revoked): its uncommitted work is not checkpointed. */
  readonly abandoned?: () => boolean;
}

/**
 * What both runners do for their tasks: a task opened for a partition (restoring its
 * newest checkpoint), its outputs routed to the sinks and the exchange it feeds.
 */
export class TaskHost {
  constructor(private readonly options: TaskHostOptions) {}

  async open(partition: number, own: HostedTaskOptions): Promise<HostedTask> {
    const { job, exchangeOut, router } = this.options;
    const taskId = this.options.taskIdOf?.(partition) ?? String(partition);
    const task = await StreamTask.open({
      job,
      taskId,
      partition,
      backend: this.options.backend,
      clock: this.options.clock,
      logger: this.options.logger,
      metrics: this.options.metrics,
      exchange: this.options.exchangeIn,
      rekeyed: own.rekeyed,
      externalWatermarks: own.externalWatermarks,
      views: this.options.views,
      viewRetryMs: this.options.viewRetryMs,
      viewsGivenUp: () => (own.abandoned?.() ?? false) || (this.options.givenUp?.() ?? false),
      emit: (emission, epoch, attempt) => {
        if (exchangeOut && emission.stream.kind === 'main') {
          exchangeOut.route(partition, epoch, attempt, emission.record);
          // the stream goes to a sink as well (fan-out)
          if (job.outputs.main === undefined) return;
        }
        router.route(taskId, emission);
      },
    });
    await markRestored(exchangeOut, partition, task);
    return new HostedTask(this.options, partition, task, own);
  }
}

/**
 * One open task of a runner: its batches, its outputs flushed after each call, and its
 * checkpoints.
 *
 * The checkpoint policy, the same for every runner: when one is due after a call, the
 * task's snapshot is taken at once and committed in the background while the task goes
 * on processing (its outputs from then on belong to the next epoch); the next
 * checkpoint waits for that commit, and a failed commit is thrown at the task's next
 * call. Then, in this order: outputs in the sinks (flushed before the snapshot; with a
 * sink buffer, the commit waits for the writes still on their way), the atomic commit,
 * the exchange marker of the committed epoch (see `task/epoch-gate.ts`), the positions
 * told to the source.
 */
export class HostedTask {
  private lastCheckpointAt: number;
  /** The checkpoint being committed while the task goes on processing. */
  private committing: Promise<void> | undefined;
  /** Why the last background commit failed; thrown by {@link throwCommitError}. */
  private commitError: unknown;

  constructor(
    private readonly host: TaskHostOptions,
    readonly partition: number,
    readonly task: StreamTask,
    private readonly own: HostedTaskOptions,
  ) {
    this.lastCheckpointAt = host.clock.now();
  }

  /**
   * A batch of `source` (kept at position `at`, read from upstream partition `upstream`
   * when not the task's own), or of the exchange the task reads. Records below the
   * task's position are skipped: a consumer's fetch from before the seek to it.
   */
  async process(
    source: string,
    records: readonly RawRecord[],
    at = source,
    upstream?: number,
  ): Promise<void> {
    if (source === this.host.exchangeIn?.source) return this.task.processExchange(records);
    const from = this.task.positions[at] ?? 0;
    const fresh = records.filter((r) => r.offset >= from);
    if (fresh.length > 0) await this.task.processBatch(source, fresh.map(decodeJson), at, upstream);
  }

  /** What the task emitted goes to the sinks and to the exchange it feeds. */
  async flush(): Promise<void> {
    await this.host.router.flush(this.task.id);
    await this.host.exchangeOut?.flush(this.partition);
  }

  /** The end of a call into the task: its outputs flushed, then a checkpoint if one is due. */
  async afterWork(): Promise<void> {
    await this.flush();
    this.checkpointIfDue();
  }

  /** Starts a checkpoint in the background when the interval passed and none is in flight. */
  checkpointIfDue(): void {
    // after a failed commit, none until the task's next call threw it: its id must not be reused
    if (this.own.abandoned?.() || this.committing || this.commitError !== undefined) return;
    const now = this.host.clock.now();
    if (now - this.lastCheckpointAt < this.host.checkpointIntervalMs) return;
    this.lastCheckpointAt = now;
    this.committing = this.commit()
      .catch((error: unknown) => {
        this.commitError ??= error;
      })
      .finally(() => {
        this.committing = undefined;
      });
  }

  /** Makes a checkpoint due now: taken after the task's current call (a view's publish on demand). */
  requestCheckpoint(): void {
    this.lastCheckpointAt = Number.NEGATIVE_INFINITY;
  }

  /** A checkpoint now (the final one), after the one in flight and with every output flushed. */
  async checkpointNow(): Promise<void> {
    await this.committing;
    this.throwCommitError();
    if (this.own.abandoned?.()) return;
    await this.flush();
    this.lastCheckpointAt = this.host.clock.now();
    await this.commit();
  }

  /** A background commit failed: the task's next call handles it (fenced, rewound, fatal). */
  throwCommitError(): void {
    const error = this.commitError;
    if (error === undefined) return;
    this.commitError = undefined;
    throw error;
  }

  /** Closes the task once the commit in flight settled. */
  async close(): Promise<void> {
    await this.committing;
    this.task.close();
  }

  /** The snapshot is taken synchronously here (no commit is in flight), then committed. */
  private async commit(): Promise<void> {
    const { task, partition } = this;
    const ended = this.own.inputsEnded?.(task) ?? false;
    // the snapshot waits for the outputs still on their way to the sinks to be written
    const checkpoint = await task.checkpoint(() => this.host.router.written(task.id));
    // the epoch is committed: the exchange may apply it (see task/epoch-gate.ts)
    await this.host.exchangeOut?.mark(
      partition,
      checkpoint.id,
      task.attempt,
      checkpoint.watermarks.current,
      ended,
    );
    await this.own.commitPositions(checkpoint.positions);
  }
}

/**
 * A task that restored checkpoint E tells the exchange it feeds that E is committed,
 * naming the attempt that committed it: that attempt may have died before its markers.
 */
async function markRestored(
  exchange: ExchangeWriter | undefined,
  partition: number,
  task: StreamTask,
): Promise<void> {
  const attempt = task.committedAttempt;
  if (!exchange || attempt === undefined) return;
  await exchange.mark(partition, task.checkpointId, attempt, task.watermark, false);
}

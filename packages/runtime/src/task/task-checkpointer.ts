import type { JobSpec } from '../job/job-spec';
import type { TaskCheckpoint } from '../state/checkpoint';
import type { KeyedStateCache } from '../state/keyed-state-cache';
import type { CheckpointStore } from '../state/state-backend';
import type { Clock } from '../time/clock';
import type { TimerService } from '../time/timer-service';
import type { WatermarkTracker } from '../time/watermark-tracker';
import type { Logger } from '../util/logger';
import type { TaskViews } from '../view/task-views';
import type { ExchangeInput } from './exchange-input';
import type { JobMetrics } from './metrics';
import { upstreamLineage, type UpstreamLineage } from './upstream-lineage';

export interface TaskCheckpointerOptions {
  readonly job: JobSpec;
  readonly taskId: string;
  /** This opening of the task, saved in its checkpoints. */
  readonly attempt: string;
  readonly store: CheckpointStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: JobMetrics;
  // What a checkpoint holds of the task:
  /** Next offset to read, per source (restored in place). */
  readonly positions: Record<string, number>;
  readonly watermarks: WatermarkTracker;
  readonly timers: TimerService;
  /** The timers of the keyed stages fused after the operator, by stage id. */
  readonly stageTimers: ReadonlyMap<string, TimerService>;
  readonly cache: KeyedStateCache;
  readonly exchange?: ExchangeInput;
  /** The task's views: published after each commit, brought to the restored checkpoint. */
  readonly views?: TaskViews;
}

/**
 * Takes and restores a task's checkpoints: source positions, watermarks, timers, the
 * state written since the last one, the attempt, the exchange gate and the upstream
 * lineage; and knows which epoch the task's outputs belong to meanwhile.
 */
export class TaskCheckpointer {
  private lastId = 0;
  private committing: Promise<TaskCheckpoint> | undefined;
  /** The id of the checkpoint being committed: outputs from now on belong to the next one. */
  private committingId: number | undefined;
  /** The attempt that committed the checkpoint this task restored. */
  private restoredAttempt: string | undefined;
  /** What its checkpoints say of it as the upstream of an exchange (for rewinds). */
  private lineage: UpstreamLineage;
  /** When the task's history began (see `TaskCheckpoint.history`); set by the first checkpoint when none was restored. */
  private history: number | undefined;

  constructor(private readonly options: TaskCheckpointerOptions) {
    this.lineage = upstreamLineage(options.job);
  }

  get checkpointId(): number {
    return this.lastId;
  }

  /** The checkpoint that will cover what the task processes now. */
  get openEpoch(): number {
    return (this.committingId ?? this.lastId) + 1;
  }

  /** The attempt that committed the task's latest checkpoint (this one, once it committed). */
  get committedAttempt(): string | undefined {
    return this.lastId === 0 ? undefined : (this.restoredAttempt ?? this.options.attempt);
  }

  /**
   * Commits dirty state, timers, watermark and positions as one checkpoint.
   *
   * Ordering: every output of the processed input is in the sinks before the commit
   * (written by the caller, or awaited through `outputsWritten`), and the task is not
   * processing when it is called. The commit is atomic, so a crash before
   * it replays from the previous checkpoint (outputs may repeat, with the same ids;
   * state restarts from the previous checkpoint, so it is applied exactly once), and a
   * crash after it resumes from this one.
   *
   * The snapshot (positions, watermarks, timers and the state written since the last
   * checkpoint, serialized by the backend) is taken when this is called, so the task
   * may process more input while the commit is in flight. Called again before that
   * commit settled, it waits for it first.
   *
   * `outputsWritten`, called when the snapshot is taken, gives what the commit waits
   * for: the outputs of the processed input still on their way to the sinks.
   */
  async checkpoint(outputsWritten?: () => Promise<void>): Promise<TaskCheckpoint> {
    while (this.committing) await this.committing.catch(() => undefined);
    const committing = this.commit(outputsWritten?.());
    this.committing = committing;
    try {
      return await committing;
    } finally {
      if (this.committing === committing) this.committing = undefined;
    }
  }

  /** Restores the newest checkpoint, if any. */
  async restore(): Promise<void> {
    const { options } = this;
    const checkpoint = await options.store.latest();
    this.history = checkpoint && (checkpoint.history ?? 0);
    await options.views?.restored(this.viewLineage(), checkpoint?.id ?? 0);
    if (!checkpoint) return;
    this.lastId = checkpoint.id;
    this.restoredAttempt = checkpoint.attempt ?? options.attempt;
    this.lineage = upstreamLineage(options.job, checkpoint);
    Object.assign(options.positions, checkpoint.positions);
    const { exchange } = options;
    if (exchange) exchange.restore(checkpoint.positions[exchange.source] ?? 0, checkpoint);
    options.watermarks.restore(checkpoint.watermarks, options.clock.now());
    options.timers.restore(checkpoint.timers);
    for (const [stage, timers] of options.stageTimers) {
      const saved = checkpoint.stageTimers?.[stage];
      if (saved) timers.restore(saved);
    }
    options.logger.debug(
      `task ${options.taskId} restored checkpoint ${checkpoint.id} (positions ${JSON.stringify(checkpoint.positions)})`,
    );
  }

  /**
   * What orders the task's publishes besides the checkpoint id: its history, then the
   * rewinds of it (under a million per history, so the number stays exact in a double).
   */
  private viewLineage(): number {
    return (this.history ?? 0) * 1_000_000 + this.options.store.lineage();
  }

  private async commit(outputsWritten: Promise<void> | undefined): Promise<TaskCheckpoint> {
    const { options } = this;
    // timed on the wall clock, not the task's (a test's may stand still): snapshot to commit
    const snapshotAt = performance.now();
    this.history ??= Math.floor(options.clock.now() / 1000);
    const checkpoint: TaskCheckpoint = {
      id: this.lastId + 1,
      takenAt: options.clock.now(),
      positions: { ...options.positions },
      watermarks: options.watermarks.snapshot(),
      timers: options.timers.snapshot(),
      ...(options.stageTimers.size > 0
        ? {
            stageTimers: Object.fromEntries(
              [...options.stageTimers].map(([stage, timers]) => [stage, timers.snapshot()]),
            ),
          }
        : {}),
      attempt: options.attempt,
      history: this.history,
      ...(options.exchange ? options.exchange.checkpointFields() : {}),
      ...this.lineage,
    };
    this.committingId = checkpoint.id;
    // Between two calls into the task, every clean entry is in the store: forget the
    // surplus now. Not after the commit, when the next batch may have prefetched its keys.
    options.cache.trim();
    const writes = options.cache.drainWrites();
    const published = options.views?.entriesOf(writes);
    try {
      await options.store.commit(checkpoint, writes, outputsWritten);
    } catch (error) {
      // The task is not used again after a failed commit (the runner fails the job or
      // reopens the task): outputs of epoch id + 1 are out, so id must not be reused.
      options.cache.markDirty(writes);
      options.metrics.checkpointStats.failed++;
      throw error;
    }
    this.lastId = checkpoint.id;
    this.restoredAttempt = undefined;
    this.committingId = undefined;
    options.metrics.checkpoints++;
    options.metrics.checkpointStats.record((performance.now() - snapshotAt) / 1000, writes.length);
    // committed whatever happens to the publish: a failed one fails the task, whose next
    // opening republishes (see view/task-views.ts)
    if (published) await options.views?.committed(this.viewLineage(), checkpoint.id, published);
    return checkpoint;
  }
}

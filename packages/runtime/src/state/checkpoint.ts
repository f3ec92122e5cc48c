import type { TimerSnapshot } from '../time/timer-service';
import type { WatermarkSnapshot } from '../time/watermark-tracker';

/** The upstream epoch a task behind a repartition applied last, per upstream task. */
export interface AppliedEpoch {
  readonly epoch: number;
  readonly attempt: string;
  readonly watermark: number;
  readonly ended: boolean;
}

/** What a checkpoint saves of an exchange's gate: the applied epoch per upstream task. */
export type GateSnapshot = Readonly<Record<string, AppliedEpoch>>;

/** The epochs `(after, through]` of an upstream task that a rewind discarded. */
export type EpochRange = readonly [after: number, through: number];

/** Per upstream task (its partition, as text), the epoch ranges a gate drops. */
export type VoidEpochs = Readonly<Record<string, readonly EpochRange[]>>;

/** Everything of a task that is not keyed state, saved with each checkpoint. */
export interface TaskCheckpoint {
  /** Increases by one per checkpoint of the task. */
  readonly id: number;
  /** Processing time of the checkpoint (epoch ms). */
  readonly takenAt: number;
  /** Next offset to read, per source name (the task reads one partition of each source). */
  readonly positions: Readonly<Record<string, number>>;
  readonly watermarks: WatermarkSnapshot;
  readonly timers: TimerSnapshot;
  /** Timers of the keyed stages fused after the operator, by stage id (see `task/fused-stages.ts`). */
  readonly stageTimers?: Readonly<Record<string, TimerSnapshot>>;
  /** The attempt (one per opening of the task) that committed it: named by exchange markers. */
  readonly attempt?: string;
  /** A task behind a repartition: the upstream epochs it applied (see `task/epoch-gate.ts`). */
  readonly exchange?: GateSnapshot;
  /** A task behind a repartition: the source that is its exchange (the stream it reads). */
  readonly exchangeSource?: string;
  /** A task behind a repartition: what its gate drops of epochs a rewind discarded. */
  readonly voidEpochs?: VoidEpochs;
  /**
   * The stream the task's main output ends in. A keyed stage that reads it behind a
   * repartition is fed by this task: rewind pairs the two by it.
   */
  readonly stream?: string;
  /**
   * The second (epoch s) the task's history began: its first checkpoint, carried by
   * every later one, rewinds included. With the rewinds of the task it orders what the
   * task published (a view's version): a history begun later (the state was dropped, a
   * run over files started again) is newer than any before it.
   */
  readonly history?: number;
  /** Epochs this task's history skipped: a rewind discarded them (see `task/epoch-gate.ts`). */
  readonly skippedEpochs?: readonly EpochRange[];
}

export interface CheckpointInfo {
  readonly id: number;
  readonly takenAt: number;
  readonly positions: Readonly<Record<string, number>>;
}

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
  /** The attempt (one per opening of the task) that committed it: named by exchange markers. */
  readonly attempt?: string;
  /** A task behind a repartition: the upstream epochs it applied (see `task/epoch-gate.ts`). */
  readonly exchange?: GateSnapshot;
}

export interface CheckpointInfo {
  readonly id: number;
  readonly takenAt: number;
  readonly positions: Readonly<Record<string, number>>;
}

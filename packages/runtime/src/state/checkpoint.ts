import type { TimerSnapshot } from '../time/timer-service';
import type { WatermarkSnapshot } from '../time/watermark-tracker';

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
}

export interface CheckpointInfo {
  readonly id: number;
  readonly takenAt: number;
  readonly positions: Readonly<Record<string, number>>;
}

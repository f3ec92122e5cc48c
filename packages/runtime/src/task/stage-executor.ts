import type { Timer, TimeDomain } from '../time/timer-service';
import type { ReadyElement } from './element-ingest';

/**
 * Runs the task's operator (keyed, async or none) over what the ingest made ready.
 * The task calls it once per batch, then fires the timers the batch made due; calls
 * do not overlap.
 */
export interface StageExecutor {
  /** Runs the operator over the ready elements of one batch of `source`, in order. */
  run(source: string, ready: readonly ReadyElement[]): Promise<void>;
  /** Fires a due timer; synchronous unless the operator returned a promise. Absent: no timers. */
  fireTimer?(domain: TimeDomain, timer: Timer): void | Promise<void>;
  /** Releases what it holds besides state. */
  close?(): void;
}

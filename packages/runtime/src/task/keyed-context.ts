import { LATE_TAG } from '../job/job-spec';
import type { ElementContext, TimerContext, TimerRegistry } from '../job/process-function';
import { BEGINNING_OF_TIME, END_OF_TIME } from '../time/time-bounds';
import type { TimeDomain, TimerQueue, TimerService } from '../time/timer-service';
import type { OutputStream } from './output-stream';
import { MAIN_STREAM } from './output-stream';
import type { WindowOutputContext } from '../window/window-operator';

export interface KeyedContextHost {
  readonly timers: TimerService;
  currentWatermark(): number;
  currentProcessingTime(): number;
  emitKeyed(stream: OutputStream, key: string, timestamp: number, value: unknown): void;
  /** Runs `emit` with the outputs it makes named after `origin` instead of the call's input. */
  named(origin: string, emit: () => void): void;
  /** Counts an element a window judged late. */
  countLate(): void;
  /** Receives how to reverse each timer change, so a failed call can be undone. */
  onTimerChange(undo: () => void): void;
}

/**
 * The context handed to user functions. One instance per task, re-pointed before each
 * call (the task runs one call at a time), so the hot path allocates nothing.
 */
export class KeyedContextImpl
  implements ElementContext<unknown>, TimerContext<unknown>, TimerRegistry, WindowOutputContext
{
  key = '';
  timestamp = 0;
  input = '';
  timeDomain: TimeDomain = 'event';

  constructor(private readonly host: KeyedContextHost) {}

  get timers(): TimerRegistry {
    return this;
  }

  registerEventTimeTimer(timestamp: number): void {
    this.addTimer(this.host.timers.event, timestamp);
  }
  registerProcessingTimeTimer(timestamp: number): void {
    this.addTimer(this.host.timers.processing, timestamp);
  }
  deleteEventTimeTimer(timestamp: number): void {
    this.removeTimer(this.host.timers.event, timestamp);
  }
  deleteProcessingTimeTimer(timestamp: number): void {
    this.removeTimer(this.host.timers.processing, timestamp);
  }
  currentWatermark(): number {
    return this.host.currentWatermark();
  }
  currentProcessingTime(): number {
    return this.host.currentProcessingTime();
  }
  emit(value: unknown): void {
    this.host.emitKeyed(MAIN_STREAM, this.key, this.timestamp, value);
  }
  /** A window's outputs: named after the window, whatever input or timer made it fire. */
  emitWindow(origin: string, timestamp: number, values: Iterable<unknown>): void {
    this.host.named(origin, () => {
      for (const value of values) this.host.emitKeyed(MAIN_STREAM, this.key, timestamp, value);
    });
  }
  emitLate(value: unknown): void {
    this.host.countLate();
    this.output(LATE_TAG, value);
  }
  output(tag: string, value: unknown): void {
    if (typeof tag !== 'string' || tag.length === 0)
      throw new TypeError('side output tag must be a non-empty string');
    this.host.emitKeyed({ kind: 'side', tag }, this.key, this.timestamp, value);
  }

  /** A timer that was not there before is deleted again when the call is undone. */
  private addTimer(queue: TimerQueue, timestamp: number): void {
    const { key } = this;
    const before = queue.size;
    queue.register(key, timestamp);
    if (queue.size === before) return;
    // The queue keeps timestamps within the bounds of time; so must the undo.
    const kept = Math.min(END_OF_TIME, Math.max(BEGINNING_OF_TIME, timestamp));
    this.host.onTimerChange(() => queue.delete(key, kept));
  }

  /** A timer that was there is registered again when the call is undone. */
  private removeTimer(queue: TimerQueue, timestamp: number): void {
    const { key } = this;
    const before = queue.size;
    queue.delete(key, timestamp);
    if (queue.size !== before) this.host.onTimerChange(() => queue.register(key, timestamp));
  }
}

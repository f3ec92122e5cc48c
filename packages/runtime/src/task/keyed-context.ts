import type { ElementContext, TimerContext, TimerRegistry } from '../job/process-function';
import type { TimeDomain, TimerService } from '../time/timer-service';
import type { OutputStream } from './output-stream';
import { MAIN_STREAM } from './output-stream';

export interface KeyedContextHost {
  readonly timers: TimerService;
  currentWatermark(): number;
  currentProcessingTime(): number;
  emitKeyed(stream: OutputStream, key: string, timestamp: number, value: unknown): void;
}

/**
 * The context handed to user functions. One instance per task, re-pointed before each
 * call (the task runs one call at a time), so the hot path allocates nothing.
 */
export class KeyedContextImpl
  implements ElementContext<unknown>, TimerContext<unknown>, TimerRegistry
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
    this.host.timers.event.register(this.key, timestamp);
  }
  registerProcessingTimeTimer(timestamp: number): void {
    this.host.timers.processing.register(this.key, timestamp);
  }
  deleteEventTimeTimer(timestamp: number): void {
    this.host.timers.event.delete(this.key, timestamp);
  }
  deleteProcessingTimeTimer(timestamp: number): void {
    this.host.timers.processing.delete(this.key, timestamp);
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
  output(tag: string, value: unknown): void {
    if (typeof tag !== 'string' || tag.length === 0)
      throw new TypeError('side output tag must be a non-empty string');
    this.host.emitKeyed({ kind: 'side', tag }, this.key, this.timestamp, value);
  }
}

import type { TimeDomain, Timer, TimerService } from '../time/timer-service';
import type { WatermarkTracker } from '../time/watermark-tracker';

/** Fires one due timer; synchronous unless the operator returned a promise. */
export type FireTimer = (domain: TimeDomain, timer: Timer) => void | Promise<void>;

/**
 * The timers of a keyed stage fused after the task's operator (`task/fused-stages.ts`):
 * they fire after the operator's, once the stage's watermark moved to the task's.
 */
export interface FusedTimers {
  readonly timers: TimerService;
  /** Moves the stage's watermark to `watermark`; true when it moved. */
  advanceTo(watermark: number): boolean;
  readonly fire: FireTimer;
}

/** Moves a task's watermark and fires its timers as they come due. */
export class TimerFiring {
  /** The fused stages' timers, in stage order (set once the task opened them). */
  fused: readonly FusedTimers[] = [];

  constructor(
    private readonly timers: TimerService,
    private readonly watermarks: WatermarkTracker,
    /** Loads the state of keys in one round trip. */
    private readonly prefetch: (keys: Iterable<string>) => Promise<void>,
    private readonly fire: FireTimer,
  ) {}

  /** Moves the watermark, then fires due event-time and processing-time timers. */
  async advance(now: number): Promise<void> {
    const { watermarks } = this;
    if (watermarks.advance(now)) {
      await this.fireTimers(this.timers, this.fire, 'event', watermarks.current);
    }
    await this.fireTimers(this.timers, this.fire, 'processing', now);
    // each fused stage after what the stages before it emitted while firing
    for (const stage of this.fused) {
      if (stage.advanceTo(watermarks.current)) {
        await this.fireTimers(stage.timers, stage.fire, 'event', watermarks.current);
      }
      await this.fireTimers(stage.timers, stage.fire, 'processing', now);
    }
  }

  /**
   * Fires every timer due at `time`, in timestamp order. The keys of all due timers
   * are loaded in one round trip; a timer registered while firing that is due before
   * the remaining ones fires first (its key is one being fired, so already loaded).
   */
  private async fireTimers(
    timers: TimerService,
    fire: FireTimer,
    domain: TimeDomain,
    time: number,
  ): Promise<void> {
    const queue = timers.queue(domain);
    const due = queue.takeDue(time);
    if (due.length === 0) return;
    try {
      await this.prefetch(due.map((t) => t.key));
    } catch (error) {
      queue.putBack(due);
      throw error;
    }
    // In firing order, merged with timers registered while firing that are due before
    // the next taken one (they belong to a key being fired, so their state is loaded);
    // a taken timer deleted meanwhile does not fire, so each (key, timestamp) fires once.
    let i = 0;
    try {
      for (;;) {
        const early = queue.pollDue(time, due[i]);
        let timer: Timer | undefined = early;
        if (!timer) {
          if (i >= due.length) break;
          timer = due[i++];
          if (!queue.claim(timer)) continue;
        }
        const pending = fire(domain, timer);
        if (pending) await pending;
      }
    } finally {
      // a call that failed the task leaves the rest pending, to fire after a restart
      if (i < due.length) queue.putBack(due.slice(i));
    }
  }
}

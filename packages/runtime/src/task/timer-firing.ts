import type { TimeDomain, Timer, TimerService } from '../time/timer-service';
import type { WatermarkTracker } from '../time/watermark-tracker';

/** Fires one due timer; synchronous unless the operator returned a promise. */
export type FireTimer = (domain: TimeDomain, timer: Timer) => void | Promise<void>;

/** Moves a task's watermark and fires its timers as they come due. */
export class TimerFiring {
  constructor(
    private readonly timers: TimerService,
    private readonly watermarks: WatermarkTracker,
    /** Loads the state of keys in one round trip. */
    private readonly prefetch: (keys: Iterable<string>) => Promise<void>,
    private readonly fire: FireTimer,
  ) {}

  /** Moves the watermark, then fires due event-time and processing-time timers. */
  async advance(now: number): Promise<void> {
    if (this.watermarks.advance(now)) await this.fireTimers('event', this.watermarks.current);
    await this.fireTimers('processing', now);
  }

  /**
   * Fires every timer due at `time`, in timestamp order. The keys of all due timers
   * are loaded in one round trip; a timer registered while firing that is due before
   * the remaining ones fires first (its key is one being fired, so already loaded).
   */
  private async fireTimers(domain: TimeDomain, time: number): Promise<void> {
    const queue = this.timers.queue(domain);
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
        const pending = this.fire(domain, timer);
        if (pending) await pending;
      }
    } finally {
      // a call that failed the task leaves the rest pending, to fire after a restart
      if (i < due.length) queue.putBack(due.slice(i));
    }
  }
}

import { BinaryHeap } from '../util/binary-heap';
import { BEGINNING_OF_TIME, END_OF_TIME } from './time-bounds';

export type TimeDomain = 'event' | 'processing';

export interface Timer {
  readonly key: string;
  readonly timestamp: number;
}

/** Pending timers, in firing order, as checkpoints store them. */
export interface TimerSnapshot {
  readonly event: readonly Timer[];
  readonly processing: readonly Timer[];
}

/** Firing order: by timestamp, then by key. */
export const firesBefore = (a: Timer, b: Timer) =>
  a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.key < b.key);

/**
 * The timers of one domain of one task. A timer is identified by (key, timestamp):
 * registering it again is a no-op. Due timers come out in timestamp order, ties in
 * key order, so a run is deterministic whatever the order of registration.
 */
export class TimerQueue {
  private readonly heap = new BinaryHeap<Timer>(firesBefore);
  /**
   * Key -> timestamp of its live timer, or a set when it has several (most keys have
   * one: no set to allocate). The heap may still hold deleted ones, skipped when popped.
   */
  private readonly live = new Map<string, number | Set<number>>();
  private count = 0;

  register(key: string, timestamp: number): void {
    if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) {
      throw new RangeError(`timer timestamp must be a number, got ${timestamp}`);
    }
    // Beyond the end of time a timer could never fire: it fires at the end instead.
    timestamp = Math.min(END_OF_TIME, Math.max(BEGINNING_OF_TIME, timestamp));
    if (this.addLive(key, timestamp)) this.heap.push({ key, timestamp });
  }

  delete(key: string, timestamp: number): void {
    this.removeLive(key, timestamp);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Removes and returns the earliest timer due at `time` (timestamp <= time), if any;
   * with `before`, only one that fires before it.
   */
  pollDue(time: number, before?: Timer): Timer | undefined {
    for (;;) {
      const head = this.heap.peek();
      if (!head || head.timestamp > time) return undefined;
      if (!this.isLive(head.key, head.timestamp)) {
        this.heap.pop(); // deleted
        continue;
      }
      if (before && !firesBefore(head, before)) return undefined;
      this.heap.pop();
      this.removeLive(head.key, head.timestamp);
      return head;
    }
  }

  /**
   * Takes the timers due at `time` out of the heap, in firing order, still live: each
   * is fired after {@link claim} says it was not deleted meanwhile (its state can be
   * loaded for all of them first). Registering one of them again is a no-op.
   */
  takeDue(time: number): Timer[] {
    const due: Timer[] = [];
    for (;;) {
      const head = this.heap.peek();
      if (!head || head.timestamp > time) return due;
      this.heap.pop();
      if (this.isLive(head.key, head.timestamp)) due.push(head);
    }
  }

  /** Marks a taken timer fired; false when it was deleted (or fired) meanwhile. */
  claim(timer: Timer): boolean {
    return this.removeLive(timer.key, timer.timestamp);
  }

  /** Returns taken timers that will not be fired now. */
  putBack(timers: readonly Timer[]): void {
    for (const t of timers) this.heap.push(t);
  }

  /** Earliest live timestamp, or undefined. */
  nextTimestamp(): number | undefined {
    for (;;) {
      const head = this.heap.peek();
      if (!head) return undefined;
      if (this.isLive(head.key, head.timestamp)) return head.timestamp;
      this.heap.pop();
    }
  }

  snapshot(): Timer[] {
    const timers: Timer[] = [];
    for (const [key, stamps] of this.live) {
      if (typeof stamps === 'number') timers.push({ key, timestamp: stamps });
      else for (const timestamp of stamps) timers.push({ key, timestamp });
    }
    return timers.sort((a, b) => (firesBefore(a, b) ? -1 : firesBefore(b, a) ? 1 : 0));
  }

  restore(timers: readonly Timer[]): void {
    for (const t of timers) this.register(t.key, t.timestamp);
  }

  private isLive(key: string, timestamp: number): boolean {
    const stamps = this.live.get(key);
    return stamps === timestamp || (typeof stamps === 'object' && stamps.has(timestamp));
  }

  private addLive(key: string, timestamp: number): boolean {
    const stamps = this.live.get(key);
    if (stamps === undefined) {
      this.live.set(key, timestamp);
    } else if (typeof stamps === 'number') {
      if (stamps === timestamp) return false;
      this.live.set(key, new Set([stamps, timestamp]));
    } else {
      if (stamps.has(timestamp)) return false;
      stamps.add(timestamp);
    }
    this.count++;
    return true;
  }

  private removeLive(key: string, timestamp: number): boolean {
    const stamps = this.live.get(key);
    if (stamps === timestamp) {
      this.live.delete(key);
    } else if (typeof stamps === 'object' && stamps.delete(timestamp)) {
      if (stamps.size === 0) this.live.delete(key);
    } else {
      return false;
    }
    this.count--;
    return true;
  }
}

/** Event-time and processing-time timers of one task. */
export class TimerService {
  readonly event = new TimerQueue();
  readonly processing = new TimerQueue();

  queue(domain: TimeDomain): TimerQueue {
    return domain === 'event' ? this.event : this.processing;
  }

  snapshot(): TimerSnapshot {
    return { event: this.event.snapshot(), processing: this.processing.snapshot() };
  }

  restore(snapshot: TimerSnapshot): void {
    this.event.restore(snapshot.event);
    this.processing.restore(snapshot.processing);
  }
}

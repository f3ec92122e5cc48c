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
  /** The live timers; the heap may still hold deleted ones, skipped when popped. */
  private readonly live = new Set<string>();

  register(key: string, timestamp: number): void {
    if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) {
      throw new RangeError(`timer timestamp must be a number, got ${timestamp}`);
    }
    // Beyond the end of time a timer could never fire: it fires at the end instead.
    timestamp = Math.min(END_OF_TIME, Math.max(BEGINNING_OF_TIME, timestamp));
    const id = timerId(key, timestamp);
    if (this.live.has(id)) return;
    this.live.add(id);
    this.heap.push({ key, timestamp });
  }

  delete(key: string, timestamp: number): void {
    this.live.delete(timerId(key, timestamp));
  }

  get size(): number {
    return this.live.size;
  }

  /** Removes and returns the earliest timer due at `time` (timestamp <= time), if any. */
  pollDue(time: number): Timer | undefined {
    for (;;) {
      const head = this.heap.peek();
      if (!head || head.timestamp > time) return undefined;
      this.heap.pop();
      if (this.live.delete(timerId(head.key, head.timestamp))) return head;
    }
  }

  /** Keys of the timers due at `time`, left in place (to load their state first). */
  dueKeys(time: number): string[] {
    const due = this.drain(time);
    for (const t of due) this.register(t.key, t.timestamp);
    return [...new Set(due.map((t) => t.key))];
  }

  private drain(time: number): Timer[] {
    const due: Timer[] = [];
    for (let t = this.pollDue(time); t; t = this.pollDue(time)) due.push(t);
    return due;
  }

  /** Earliest live timestamp, or undefined. */
  nextTimestamp(): number | undefined {
    for (;;) {
      const head = this.heap.peek();
      if (!head) return undefined;
      if (this.live.has(timerId(head.key, head.timestamp))) return head.timestamp;
      this.heap.pop();
    }
  }

  snapshot(): Timer[] {
    return [...this.live]
      .map(parseTimerId)
      .sort((a, b) => (firesBefore(a, b) ? -1 : firesBefore(b, a) ? 1 : 0));
  }

  restore(timers: readonly Timer[]): void {
    for (const t of timers) this.register(t.key, t.timestamp);
  }
}

const timerId = (key: string, timestamp: number) => `${timestamp}\u0000${key}`;

function parseTimerId(id: string): Timer {
  const sep = id.indexOf('\u0000');
  return { timestamp: Number(id.slice(0, sep)), key: id.slice(sep + 1) };
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

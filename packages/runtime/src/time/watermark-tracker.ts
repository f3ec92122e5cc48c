import { BEGINNING_OF_TIME, END_OF_TIME } from './time-bounds';

/** Watermark settings of one input (a source of the job). */
export interface WatermarkPolicy {
  /** Bounded out-of-orderness: the watermark is max event time seen minus this. */
  readonly maxOutOfOrdernessMs: number;
  /**
   * An input that received nothing for this long (processing time) stops holding
   * the watermark back, until it receives an element again. Undefined: never idle.
   */
  readonly idleTimeoutMs?: number;
}

export interface WatermarkSnapshot {
  /** The task's watermark (never decreases). */
  readonly current: number;
  readonly inputs: Readonly<Record<string, InputWatermarkState>>;
}

export interface InputWatermarkState {
  readonly maxEventTime: number;
  readonly explicit: number;
  /** The input reached its end (a bounded input). */
  readonly ended: boolean;
}

interface Channel {
  readonly policy: WatermarkPolicy;
  maxEventTime: number;
  /** A watermark set explicitly (tests, upstream watermarks); combined with the bound one. */
  explicit: number;
  lastActivity: number;
  ended: boolean;
}

/**
 * The watermark of a task: per input, max event time minus the input's bound; the
 * task's watermark is the minimum over its inputs that are not idle, and never goes
 * back. An ended (bounded) input counts as {@link END_OF_TIME}. Observations change the per-input
 * maxima at once, but the task's watermark moves only when {@link advance} is called
 * (the runner does at the end of each input batch), so lateness does not depend on
 * the order of elements inside one batch.
 */
export class WatermarkTracker {
  private readonly channels = new Map<string, Channel>();
  private watermark = BEGINNING_OF_TIME;

  constructor(inputs: Readonly<Record<string, WatermarkPolicy>>, now: number) {
    for (const [name, policy] of Object.entries(inputs)) {
      if (!(policy.maxOutOfOrdernessMs >= 0)) {
        throw new RangeError(
          `input "${name}": maxOutOfOrdernessMs must be >= 0, got ${policy.maxOutOfOrdernessMs}`,
        );
      }
      this.channels.set(name, {
        policy,
        maxEventTime: BEGINNING_OF_TIME,
        explicit: BEGINNING_OF_TIME,
        lastActivity: now,
        ended: false,
      });
    }
  }

  get current(): number {
    return this.watermark;
  }

  /** True when `eventTime` is at or below the task's watermark: the element is late. */
  isLate(eventTime: number): boolean {
    return eventTime <= this.watermark;
  }

  observe(input: string, eventTime: number, now: number): void {
    const channel = this.channel(input);
    if (eventTime > channel.maxEventTime) channel.maxEventTime = eventTime;
    channel.lastActivity = now;
  }

  /** Records activity without an element (a batch that held only bad records, say). */
  touch(input: string, now: number): void {
    this.channel(input).lastActivity = now;
  }

  /** Sets an input's watermark explicitly (never lowers it). */
  setInputWatermark(input: string, watermark: number, now: number): void {
    const channel = this.channel(input);
    channel.explicit = Math.max(channel.explicit, watermark);
    channel.lastActivity = now;
  }

  end(input: string): void {
    this.channel(input).ended = true;
  }

  inputWatermark(input: string): number {
    const c = this.channel(input);
    if (c.ended) return END_OF_TIME;
    return Math.max(BEGINNING_OF_TIME, c.explicit, c.maxEventTime - c.policy.maxOutOfOrdernessMs);
  }

  isIdle(input: string, now: number): boolean {
    const c = this.channel(input);
    const timeout = c.policy.idleTimeoutMs;
    return !c.ended && timeout !== undefined && now - c.lastActivity >= timeout;
  }

  get allEnded(): boolean {
    return [...this.channels.values()].every((c) => c.ended);
  }

  /** Recomputes the task's watermark; returns true when it moved forward. */
  advance(now: number): boolean {
    let min = END_OF_TIME;
    let active = 0;
    for (const name of this.channels.keys()) {
      if (this.isIdle(name, now)) continue;
      active++;
      min = Math.min(min, this.inputWatermark(name));
    }
    // All inputs idle: nothing tells us how far time went, so hold the watermark.
    if (active === 0 || min <= this.watermark) return false;
    this.watermark = min;
    return true;
  }

  snapshot(): WatermarkSnapshot {
    const inputs: Record<string, InputWatermarkState> = {};
    for (const [name, { maxEventTime, explicit, ended }] of this.channels) {
      inputs[name] = { maxEventTime, explicit, ended };
    }
    return { current: this.watermark, inputs };
  }

  restore(snapshot: WatermarkSnapshot, now: number): void {
    this.watermark = snapshot.current;
    for (const [name, c] of this.channels) {
      const saved = snapshot.inputs[name];
      if (!saved) continue;
      c.maxEventTime = saved.maxEventTime;
      c.explicit = saved.explicit;
      c.ended = saved.ended;
      c.lastActivity = now;
    }
  }

  private channel(input: string): Channel {
    const c = this.channels.get(input);
    if (!c)
      throw new RangeError(
        `unknown input "${input}" (inputs: ${[...this.channels.keys()].join(', ')})`,
      );
    return c;
  }
}

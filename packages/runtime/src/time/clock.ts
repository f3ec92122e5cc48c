/** Processing time. The runner uses the system clock; tests drive a manual one. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  advanceBy(ms: number): number {
    if (ms < 0) throw new RangeError(`processing time cannot go back (advanceBy ${ms})`);
    this.current += ms;
    return this.current;
  }
  set(ms: number): void {
    if (ms < this.current) {
      throw new RangeError(`processing time cannot go back from ${this.current} to ${ms}`);
    }
    this.current = ms;
  }
}

/** Counters of a job, summed over its tasks. Plain numbers: cheap to bump on the hot path. */
export class JobMetrics {
  recordsIn = 0;
  mainOut = 0;
  late = 0;
  deadLetters = 0;
  timersFired = 0;
  checkpoints = 0;
  stateRoundTrips = 0;
  readonly sideOutputs: Record<string, number> = {};

  countSide(tag: string): void {
    this.sideOutputs[tag] = (this.sideOutputs[tag] ?? 0) + 1;
  }

  snapshot(): Record<string, unknown> {
    return {
      recordsIn: this.recordsIn,
      mainOut: this.mainOut,
      late: this.late,
      deadLetters: this.deadLetters,
      timersFired: this.timersFired,
      checkpoints: this.checkpoints,
      stateRoundTrips: this.stateRoundTrips,
      sideOutputs: { ...this.sideOutputs },
    };
  }
}

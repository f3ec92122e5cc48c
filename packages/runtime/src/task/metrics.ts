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

/** The counters of one stage of a job with keyed stages behind repartitions. */
export interface StageMetrics {
  /** The stage's id (the operator's name for the first segment). */
  readonly stage: string;
  readonly metrics: JobMetrics;
}

/**
 * The job's counters from its stages': records in are the first stage's (what the job
 * read), records out the last one's (what reached the main output's sink); the rest add up.
 */
export function jobMetricsOf(stages: readonly StageMetrics[]): JobMetrics {
  const total = new JobMetrics();
  for (const { metrics: m } of stages) {
    total.late += m.late;
    total.deadLetters += m.deadLetters;
    total.timersFired += m.timersFired;
    total.checkpoints += m.checkpoints;
    total.stateRoundTrips += m.stateRoundTrips;
    for (const [tag, n] of Object.entries(m.sideOutputs))
      total.sideOutputs[tag] = (total.sideOutputs[tag] ?? 0) + n;
  }
  total.recordsIn = stages[0]?.metrics.recordsIn ?? 0;
  total.mainOut = stages[stages.length - 1]?.metrics.mainOut ?? 0;
  return total;
}

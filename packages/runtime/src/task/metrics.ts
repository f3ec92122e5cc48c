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
  /** What the commits took and wrote, and those that failed. */
  readonly checkpointStats = new CheckpointStats();

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
      checkpointsFailed: this.checkpointStats.failed,
      stateRoundTrips: this.stateRoundTrips,
      sideOutputs: { ...this.sideOutputs },
    };
  }
}

/** Upper bounds (seconds) of the checkpoint duration buckets: Prometheus' usual ones. */
export const CHECKPOINT_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * The commits of a job's checkpoints, recorded once per commit by its tasks' checkpointers:
 * a histogram of durations as plain bucket counts, so that recording costs no allocation
 * and `/metrics` reads it when scraped.
 */
export class CheckpointStats {
  /** Commits that threw (the backend refused or failed them, a fence among them). */
  failed = 0;
  /**
   * Committed checkpoints per duration bucket, not cumulative: `[i]` counts those above
   * bound `i - 1` of {@link CHECKPOINT_DURATION_BUCKETS} and at most bound `i`; the last
   * entry, those above every bound.
   */
  readonly durationCounts: number[] = new Array<number>(
    CHECKPOINT_DURATION_BUCKETS.length + 1,
  ).fill(0);
  durationSecondsSum = 0;
  /** State entries written (or deleted) by every commit. */
  stateWrites = 0;
  /** State entries written by the latest commit, of whichever task committed last. */
  lastStateWrites = 0;
  /** When that commit ended (`performance.now()`), to tell the latest among stages. */
  private lastCommittedAt = Number.NEGATIVE_INFINITY;

  get committed(): number {
    return this.durationCounts.reduce((sum, n) => sum + n, 0);
  }

  /** A commit done `seconds` after its snapshot was taken, with this many state writes. */
  record(seconds: number, stateWrites: number): void {
    let bucket = 0;
    while (
      bucket < CHECKPOINT_DURATION_BUCKETS.length &&
      seconds > CHECKPOINT_DURATION_BUCKETS[bucket]
    )
      bucket++;
    this.durationCounts[bucket]++;
    this.durationSecondsSum += seconds;
    this.stateWrites += stateWrites;
    this.lastStateWrites = stateWrites;
    this.lastCommittedAt = performance.now();
  }

  /** Adds another's commits to these (a job's from its stages'). */
  add(other: CheckpointStats): void {
    this.failed += other.failed;
    other.durationCounts.forEach((n, i) => (this.durationCounts[i] += n));
    this.durationSecondsSum += other.durationSecondsSum;
    this.stateWrites += other.stateWrites;
    // at a tie (a coarse clock), the one added later
    if (other.lastCommittedAt >= this.lastCommittedAt) {
      this.lastStateWrites = other.lastStateWrites;
      this.lastCommittedAt = other.lastCommittedAt;
    }
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
    total.checkpointStats.add(m.checkpointStats);
    for (const [tag, n] of Object.entries(m.sideOutputs))
      total.sideOutputs[tag] = (total.sideOutputs[tag] ?? 0) + n;
  }
  total.recordsIn = stages[0]?.metrics.recordsIn ?? 0;
  total.mainOut = stages[stages.length - 1]?.metrics.mainOut ?? 0;
  return total;
}

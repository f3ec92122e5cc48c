/** What a job process (see job-process.ts) and the bench exchange over the IPC channel. */

/** Parent -> job process: the workload to run and its parameters (argv[2], JSON). */
export interface JobRequest {
  readonly workload: string;
  readonly params: object;
}

/** What a job process measured over its measurement window. */
export interface Measured {
  /** Events processed in the window. */
  readonly events: number;
  readonly windowMs: number;
  /** User + system CPU seconds of the job process in the window. */
  readonly cpuSeconds: number;
  /** Redis round trips made by the job process in the window (null: it does not use Redis). */
  readonly redisRoundTrips: number | null;
  /** Workload-specific numbers, printed with the results. */
  readonly details: Record<string, unknown>;
}

export interface JobReport extends Measured {
  /** Peak resident set size of the job process over its whole life, MB. */
  readonly peakRssMb: number;
}

export type JobMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'report'; readonly report: JobReport }
  | { readonly type: 'failed'; readonly message: string };

/** Parent -> job process: end an open-ended run (the latency workload). */
export interface StopMessage {
  readonly type: 'stop';
}

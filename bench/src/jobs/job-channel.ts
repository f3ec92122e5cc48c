/** What a job of the bench gets from its process besides its parameters. */
export interface JobChannel {
  /** Resolves when the bench asks an open-ended run to end. */
  readonly stopRequested: Promise<void>;
  /** Tells the bench that the job owns its partitions (it may start producing). */
  ready(): void;
}

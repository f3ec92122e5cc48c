import type { JobSpec } from '../job/job-spec';
import type { StateBackend } from '../state/state-backend';
import type { Clock } from '../time/clock';
import type { Logger } from '../util/logger';
import type { PublishedView } from '../view/view-spec';
import type { JobMetrics } from './metrics';
import type { Emission } from './output-stream';

export interface TaskStatus {
  readonly task: string;
  readonly watermark: number;
  readonly positions: Readonly<Record<string, number>>;
  readonly checkpoint: number;
}

export interface StreamTaskOptions {
  readonly job: JobSpec;
  /** The task's id: the partition number it owns (`<stage id>/<n>` behind a repartition). */
  readonly taskId: string;
  /** The partition it owns, when the id is not that number. */
  readonly partition?: number;
  readonly backend: StateBackend;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: JobMetrics;
  /**
   * Receives every output record, in order, with the epoch it belongs to (the id of the
   * checkpoint that will cover its input) and the task's attempt. The runner writes
   * them to sinks (or an exchange) before checkpointing.
   */
  readonly emit: (emission: Emission, epoch: number, attempt: string) => void;
  /**
   * Sources this task reads every partition of, keeping the elements whose key hashes
   * to its own partition (embedded runs of a source not partitioned by key): source ->
   * its partition count; `tasks` is the job's task count, which the key hash picks from.
   */
  readonly rekeyed?: { readonly tasks: number; readonly sources: Readonly<Record<string, number>> };
  /** The source that is an exchange (a repartition behind another keyed stage), and its upstream task count. */
  readonly exchange?: { readonly source: string; readonly upstreamTasks: number };
  /**
   * Sources read through a repartition topic: their watermark comes only from the
   * upstream watermarks the runner passes in, not from the elements seen here.
   */
  readonly externalWatermarks?: ReadonlySet<string>;
  /**
   * False: event times are not checked against processing time (`maxFutureMs`). For the
   * test harness, whose clock has no real "now" unless the test sets one.
   */
  readonly checkFutureEventTimes?: boolean;
  /** The job's views: the task publishes those whose state it holds (see `view/task-views.ts`). */
  readonly views?: readonly PublishedView[];
  /** How long a failing publish of a view is retried before the checkpoint fails, ms (default 0). */
  readonly viewRetryMs?: number;
  /** True once the task is given up (stopped, moved): a failing publish is left to its next opening. */
  readonly viewsGivenUp?: () => boolean;
  /** Clean state entries the task keeps cached before forgetting them (default 100 000). */
  readonly maxCachedEntries?: number;
}

import type { JobMetrics } from '../task/metrics';
import type { PublishedView } from '../view/view-spec';
import type { ExchangeWriter } from './exchange-writer';

/**
 * What a runner is told when it runs one segment of a job with keyed stages behind
 * repartitions (see `job/segments.ts`); a job of one segment sets none of it.
 */
export interface SegmentOptions {
  /** Where the main output goes instead of its sink: the exchange to the next keyed stage. */
  readonly exchangeOut?: ExchangeWriter;
  /** The source that is an exchange from the stage before, and that stage's task count. */
  readonly exchangeIn?: { readonly source: string; readonly upstreamTasks: number };
  /** Task id of a partition (default: the partition number). */
  readonly taskIdOf?: (partition: number) => string;
  /** The job's views and their caches: each task publishes those whose state it holds. */
  readonly views?: readonly PublishedView[];
  /** Counters shared with the job's other segments. */
  readonly metrics?: JobMetrics;
}

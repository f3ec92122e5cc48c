import type { SinkConnector } from '../connectors/connector';
import type { QueryAnswer, StateQuery } from '../query/state-query';
import { planSegments, type JobSegment } from '../job/segments';
import type { JobSpec } from '../job/job-spec';
import { JobMetrics, jobMetricsOf, type StageMetrics } from '../task/metrics';
import type { TaskStatus } from '../task/stream-task';
import { errorMessage } from '../util/error-message';
import type { Logger } from '../util/logger';
import { ExchangeWriter, type ExchangeTransport } from './exchange-writer';
import type { RunSummary } from './job-runner';
import type { SegmentOptions } from './segment-options';

/** A runner of one segment: a {@link JobRunner} or a {@link GroupJobRunner}. */
export interface SegmentRunner {
  run(): Promise<RunSummary>;
  stop(): Promise<void>;
  status(): TaskStatus[];
  requestCheckpoint(): void;
  queryState(query: StateQuery): Promise<QueryAnswer>;
  taskCount(): Promise<number>;
}

export interface PipelineOptions {
  readonly job: JobSpec;
  readonly logger: Logger;
  /** Every sink of the job: opened once here and shared by the segments. */
  readonly sinks: Readonly<Record<string, SinkConnector>>;
  /** The runner of one segment, over the shared sinks (which it must not open or close). */
  runner(
    segment: JobSegment,
    options: SegmentOptions & { readonly sinks: Readonly<Record<string, SinkConnector>> },
  ): SegmentRunner;
  /** The exchange that feeds `segment` (not the first), from `upstreamTasks` tasks. */
  exchange(segment: JobSegment, upstreamTasks: number): Promise<ExchangeTransport>;
  /** Called once the run ended, after the sinks closed. */
  readonly onClose?: () => Promise<void>;
}

/**
 * Runs a job with keyed stages behind repartitions: one runner per segment (see
 * `job/segments.ts`), all in this process, each with tasks of its own, connected by
 * exchanges. One segment failing stops the others; a bounded run ends when the last
 * segment has applied everything the first one read.
 */
export class PipelineRunner {
  private readonly stages: StageMetrics[] = [];
  private runners: SegmentRunner[] = [];
  private running: Promise<RunSummary> | undefined;
  private stopRequested = false;
  private readonly transports: ExchangeTransport[] = [];

  constructor(private readonly options: PipelineOptions) {}

  run(): Promise<RunSummary> {
    this.running ??= this.execute();
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    await Promise.all(this.runners.map((r) => r.stop()));
    await this.running?.catch(() => undefined);
  }

  status(): TaskStatus[] {
    return this.runners.flatMap((r) => r.status());
  }

  /** Reads a key of a keyed state from the segment whose tasks hold the stage. */
  async queryState(query: StateQuery): Promise<QueryAnswer> {
    for (const runner of this.runners) {
      const answer = await runner.queryState(query);
      if (answer.kind !== 'unknown' || answer.what !== 'stage') return answer;
    }
    return {
      kind: 'unknown',
      what: 'stage',
      reason: `job ${this.options.job.name} has no keyed stage "${query.stage}"`,
    };
  }

  /** Makes a checkpoint of every task of every segment due now. */
  requestCheckpoint(): void {
    for (const runner of this.runners) runner.requestCheckpoint();
  }

  /** The job's counters (read from the first stage, written by the last, the rest summed). */
  get metrics(): JobMetrics {
    return jobMetricsOf(this.stages);
  }

  /** Each stage's own counters. */
  stageMetrics(): readonly StageMetrics[] {
    return this.stages;
  }

  private async execute(): Promise<RunSummary> {
    const { job, logger } = this.options;
    const started = Date.now();
    const sinks = Object.fromEntries(
      Object.entries(this.options.sinks).map(([name, sink]) => [name, shared(sink)]),
    );
    try {
      await this.build(sinks);
      for (const sink of Object.values(this.options.sinks)) await sink.open();
      logger.info(
        `job ${job.name}: ${this.runners.length} segments, exchanges ${this.transports.map((t) => t.describe()).join(', ')}`,
      );
      const outcomes = await Promise.allSettled(
        this.runners.map((runner) =>
          runner.run().catch(async (error: unknown) => {
            logger.error(`a segment of job ${job.name} failed; stopping the others`);
            await Promise.all(this.runners.map((r) => r.stop()));
            throw error;
          }),
        ),
      );
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
      const summaries = outcomes.map((o) => (o as PromiseFulfilledResult<RunSummary>).value);
      return {
        job: job.name,
        tasks: summaries.reduce((n, s) => n + s.tasks, 0),
        elapsedMs: Date.now() - started,
        metrics: this.metrics.snapshot(),
      };
    } finally {
      for (const transport of this.transports) {
        await transport.close().catch((error: unknown) => {
          logger.warn(`closing exchange ${transport.describe()} failed: ${errorMessage(error)}`);
        });
      }
      for (const sink of Object.values(this.options.sinks)) {
        await sink.close().catch((error: unknown) => {
          logger.warn(`closing sink "${sink.name}" failed: ${errorMessage(error)}`);
        });
      }
      await this.options.onClose?.();
    }
  }

  /** The runners in order: each exchange is sized by the task count of the segment before it. */
  private async build(sinks: Readonly<Record<string, SinkConnector>>): Promise<void> {
    const segments = planSegments(this.options.job);
    let upstreamTasks = 0;
    for (const [i, segment] of segments.entries()) {
      if (this.stopRequested) return;
      const writer = segment.feeds
        ? new ExchangeWriter(segment.feeds, this.options.logger)
        : undefined;
      const metrics = new JobMetrics();
      this.stages.push({ stage: segment.stage?.id ?? segment.job.operator?.name ?? '', metrics });
      const runner = this.options.runner(segment, {
        sinks,
        metrics,
        exchangeOut: writer,
        exchangeIn: i === 0 ? undefined : { source: segment.job.sources[0].name, upstreamTasks },
      });
      this.runners.push(runner);
      upstreamTasks = await runner.taskCount();
      if (writer) {
        const transport = await this.options.exchange(segments[i + 1], upstreamTasks);
        this.transports.push(transport);
        writer.attach(transport);
      }
    }
  }
}

/** A sink the pipeline opens and closes once, for segments that each open and close theirs. */
function shared(sink: SinkConnector): SinkConnector {
  return {
    name: sink.name,
    describe: () => sink.describe(),
    open: async () => undefined,
    write: (records) => sink.write(records),
    close: async () => undefined,
  };
}

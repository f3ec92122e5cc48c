import type { PartitionReader, SinkConnector, SourceConnector } from '../connectors/connector';
import { answerQuery } from '../query/answer-query';
import type { QueryAnswer, StateQuery } from '../query/state-query';
import { checkJob, isKeyed, operatorSources } from '../job/check-job';
import type { JobSpec } from '../job/job-spec';
import type { StateBackend } from '../state/state-backend';
import { systemClock, type Clock } from '../time/clock';
import { JobMetrics } from '../task/metrics';
import type { TaskStatus } from '../task/stream-task';
import { ConfigurationError } from '../util/errors';
import { errorMessage } from '../util/error-message';
import { defaultLogger, type Logger } from '../util/logger';
import { checkCoPartitioned } from './co-partitioning';
import { OutputRouter } from './output-router';
import type { SegmentOptions } from './segment-options';
import { TaskHost, type HostedTask } from './task-host';

export interface JobRunnerOptions extends SegmentOptions {
  readonly job: JobSpec;
  /** A connector per source name of the job. */
  readonly sources: Readonly<Record<string, SourceConnector>>;
  /** A connector per sink name the job's outputs route to. */
  readonly sinks: Readonly<Record<string, SinkConnector>>;
  readonly backend: StateBackend;
  /** Says which backends are in use, for the start-up log line ("embedded backends ..."). */
  readonly backendsDescription?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Called once the run ended, after the sinks closed (disconnect shared clients). */
  readonly onClose?: () => Promise<void>;
  /** Processing-time ms between checkpoints of a task (default 5000). */
  readonly checkpointIntervalMs?: number;
  /** How long a failing sink write is retried (the task waits) before the job fails. Default 0. */
  readonly sinkRetryMs?: number;
  /** Records a sink may hold not yet written before a flush waits (see `InFlightWrites`). Default 0. */
  readonly sinkBufferRecords?: number;
  /** Records read per batch and partition (default 500). */
  readonly batchSize?: number;
  /** Wait when no partition had records (default 20 ms). */
  readonly pollIntervalMs?: number;
  /** Progress log interval (default 10000 ms; 0 disables). */
  readonly progressIntervalMs?: number;
}

export interface RunSummary {
  readonly job: string;
  readonly tasks: number;
  readonly elapsedMs: number;
  readonly metrics: Record<string, unknown>;
}

/** One partition a task reads; `partition` set when it is not the task's own (a source read whole). */
interface Reader {
  readonly source: string;
  readonly partition?: number;
  readonly reader: PartitionReader;
}

interface TaskRun {
  readonly hosted: HostedTask;
  /** By the key its position is kept under: the source, or `<source>@<partition>` when read whole. */
  readonly readers: Map<string, Reader>;
  /** The keys of the readers that reached their end. */
  readonly ended: Set<string>;
}

/**
 * Runs a job in this process: a task per partition, each reading partition p of every
 * source, with outputs written to the sinks after every step and checkpoints on an
 * interval. Ends by itself when every input is bounded and over; otherwise runs until
 * {@link stop}.
 */
export class JobRunner {
  readonly metrics: JobMetrics;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly router: OutputRouter;
  private readonly host: TaskHost;
  private stopping = false;
  private running: Promise<RunSummary> | undefined;
  private runs: TaskRun[] = [];

  constructor(private readonly options: JobRunnerOptions) {
    checkJob(options.job);
    this.metrics = options.metrics ?? new JobMetrics();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? defaultLogger(options.job.name);
    this.checkWiring();
    this.router = new OutputRouter(options.job, options.sinks, this.logger, {
      budgetMs: options.sinkRetryMs ?? 0,
      bufferRecords: options.sinkBufferRecords,
      givenUp: () => this.stopping,
    });
    this.host = new TaskHost({
      ...options,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      router: this.router,
      checkpointIntervalMs: this.checkpointInterval,
      viewRetryMs: options.sinkRetryMs ?? 0,
      givenUp: () => this.stopping,
    });
  }

  /** Starts the job; resolves when it ended (bounded inputs) or was stopped. */
  run(): Promise<RunSummary> {
    this.running ??= this.execute();
    return this.running;
  }

  /** Graceful stop: no new batches, the current ones finish, a final checkpoint is taken. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  /** Task watermarks and positions, for health endpoints and logs. */
  status(): TaskStatus[] {
    return this.runs.map(({ hosted }) => hosted.task.status());
  }

  /** Reads a key of a keyed state from the task it belongs to, when this runner runs it. */
  async queryState(query: StateQuery): Promise<QueryAnswer> {
    return answerQuery(
      {
        job: this.options.job,
        partitions: this.runs.length,
        // the embedded log, the whole-read sources and the exchanges all hash keys the runtime's way
        byKafkaKey: false,
        taskId: (p) => this.options.taskIdOf?.(p) ?? String(p),
        task: (p) => this.runs.find(({ hosted }) => hosted.partition === p)?.hosted.task,
      },
      query,
    );
  }

  /** Makes a checkpoint of every task due now (taken after its current batch). */
  requestCheckpoint(): void {
    for (const { hosted } of this.runs) hosted.requestCheckpoint();
  }

  private async execute(): Promise<RunSummary> {
    const { job } = this.options;
    const started = Date.now();
    const partitions = await this.taskCount();
    const whole = await this.readWhole(partitions);
    this.logger.info(
      `job ${job.name} starting on ${this.options.backendsDescription ?? 'custom backends'}: ` +
        `sources ${job.sources.map((s) => `${s.name} (${this.options.sources[s.name].describe()})`).join(', ')}; ` +
        `sinks ${
          Object.values(this.options.sinks)
            .map((s) => `${s.name} (${s.describe()})`)
            .join(', ') || 'none'
        }; ` +
        `${this.options.backend.describe()}; ${partitions} task(s); checkpoint every ${this.checkpointInterval} ms`,
    );
    const progress = this.startProgressLog();
    try {
      await this.router.open();
      this.runs = await Promise.all(
        Array.from({ length: partitions }, (_, p) => this.openTask(p, partitions, whole)),
      );
      // One failed task stops the others; they finish their batch and checkpoint before
      // the sinks close, and the first error is what the run reports.
      const outcomes = await Promise.allSettled(
        this.runs.map((run) =>
          this.loop(run).catch((error: unknown) => {
            this.stopping = true;
            throw error;
          }),
        ),
      );
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      if (progress) clearInterval(progress);
      for (const run of this.runs) {
        await run.hosted.close();
        for (const { reader } of run.readers.values()) await reader.close().catch(() => undefined);
      }
      await this.router
        .close()
        .catch((error: unknown) =>
          this.logger.warn(`closing sinks failed: ${errorMessage(error)}`),
        );
      await this.options.onClose?.();
    }
    const summary: RunSummary = {
      job: job.name,
      tasks: partitions,
      elapsedMs: Date.now() - started,
      metrics: this.metrics.snapshot(),
    };
    this.logger.info(
      `job ${job.name} ${this.stopping ? 'stopped' : 'finished'}: ${JSON.stringify(summary.metrics)}`,
    );
    this.router.reportUnrouted();
    return summary;
  }

  private get checkpointInterval(): number {
    return this.options.checkpointIntervalMs ?? 5000;
  }

  private checkWiring(): void {
    const { job, sources, sinks } = this.options;
    const problems: string[] = [];
    for (const s of job.sources)
      if (!sources[s.name]) problems.push(`source "${s.name}" has no connector`);
    const routed = [
      job.outputs.main,
      job.outputs.deadLetters,
      ...Object.values(job.outputs.sideOutputs ?? {}),
      ...Object.values(job.outputs.streams ?? {}),
    ];
    for (const sink of routed) {
      if (sink !== undefined && !sinks[sink]) problems.push(`sink "${sink}" has no connector`);
    }
    if (problems.length > 0) {
      throw new ConfigurationError(
        `job "${job.name}" cannot start:\n  - ${problems.join('\n  - ')}\n` +
          `bind each source and sink (for example --source <name>=<file.jsonl> --sink <name>=<file.jsonl>)`,
      );
    }
  }

  /**
   * How many tasks the job runs: the partitions of its sources, which must be the same
   * for every source of a keyed operator (co-partitioning).
   */
  async taskCount(): Promise<number> {
    const counts = await this.partitionCounts();
    const whole = this.wholeCandidates();
    if (this.options.job.operator) {
      checkCoPartitioned(
        this.options.job.name,
        counts.filter(([name]) => !whole.has(name)).map(([name, n]) => [`source ${name}`, n]),
      );
    }
    return Math.max(...counts.map(([, n]) => n));
  }

  private partitionCounts(): Promise<Array<readonly [string, number]>> {
    return Promise.all(
      this.options.job.sources.map(
        async (s) => [s.name, await this.options.sources[s.name].partitions()] as const,
      ),
    );
  }

  /** The keyed operator's sources not partitioned by key. */
  private wholeCandidates(): Set<string> {
    const { job } = this.options;
    if (!isKeyed(job)) return new Set();
    const keyed = operatorSources(job).filter((s): s is string => s !== undefined);
    return new Set(
      keyed.filter((name) => !job.sources.find((s) => s.name === name)?.partitionedByKey),
    );
  }

  /**
   * The sources every task reads whole, keeping the keys it owns, with their partition
   * counts: the keyed operator's sources that are not partitioned by key, when the job
   * runs more than one task. (On Kafka they go through a repartition topic instead.)
   */
  private async readWhole(tasks: number): Promise<Record<string, number>> {
    if (tasks < 2) return {};
    const candidates = this.wholeCandidates();
    const counts = await this.partitionCounts();
    return Object.fromEntries(counts.filter(([name]) => candidates.has(name)));
  }

  private async openTask(
    partition: number,
    tasks: number,
    whole: Readonly<Record<string, number>>,
  ): Promise<TaskRun> {
    const readers = new Map<string, Reader>();
    const ended = new Set<string>();
    const hosted = await this.host.open(partition, {
      rekeyed: Object.keys(whole).length > 0 ? { tasks, sources: whole } : undefined,
      commitPositions: async (positions) => {
        for (const [at, { reader }] of readers) {
          const next = positions[at];
          if (next !== undefined) await reader.commit?.(next);
        }
      },
      // every reader at its end (not the task's watermarks: a source without event time
      // keeps none, and an exchange ends only when its upstream did)
      inputsEnded: () => ended.size === readers.size,
    });
    const { task } = hosted;
    for (const spec of this.options.job.sources) {
      const connector = this.options.sources[spec.name];
      const source = spec.name;
      const count = whole[source];
      if (count !== undefined) {
        for (let p = 0; p < count; p++) {
          const at = task.positions[`${source}@${p}`] ?? 0;
          readers.set(`${source}@${p}`, {
            source,
            partition: p,
            reader: await connector.open(p, at),
          });
        }
      } else if (partition < (await connector.partitions())) {
        const reader = await connector.open(partition, task.positions[source] ?? 0);
        readers.set(source, { source, reader });
      } else {
        await task.endInput(source);
      }
    }
    return { hosted, readers, ended };
  }

  private async loop({ hosted, readers, ended }: TaskRun): Promise<void> {
    const { task } = hosted;
    const batchSize = this.options.batchSize ?? 500;
    while (!this.stopping) {
      hosted.throwCommitError();
      let received = 0;
      for (const [at, { source, partition, reader }] of readers) {
        if (ended.has(at)) continue;
        const { records, end } = await reader.read(batchSize);
        if (records.length > 0) {
          received += records.length;
          await hosted.process(source, records, at, partition);
          await hosted.flush();
        }
        // an exchange ends when every upstream task sent its last marker
        if (source === this.options.exchangeIn?.source ? task.exchangeEnded : end) {
          ended.add(at);
          await task.endInput(source, partition);
          await hosted.flush();
        }
      }
      if (ended.size === readers.size) break;
      if (received === 0) {
        await task.tick();
        await hosted.flush();
        await sleep(this.options.pollIntervalMs ?? 20);
      } else {
        // Let timers, I/O and other tasks run between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
      hosted.checkpointIfDue();
    }
    await hosted.checkpointNow();
  }

  private startProgressLog(): NodeJS.Timeout | undefined {
    const every = this.options.progressIntervalMs ?? 10_000;
    if (every <= 0) return undefined;
    const timer = setInterval(() => {
      const m = this.metrics;
      this.logger.info(
        `progress: ${m.recordsIn} in, ${m.mainOut} out, ${m.late} late, ${m.deadLetters} dead letters, ` +
          `${m.checkpoints} checkpoints; watermarks ${this.runs.map((r) => r.hosted.task.watermark).join(',')}`,
      );
    }, every);
    timer.unref();
    return timer;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import type { PartitionReader, SinkConnector, SourceConnector } from '../connectors/connector';
import { decodeJson } from '../connectors/json-codec';
import { checkJob, isKeyed, operatorSources } from '../job/check-job';
import type { JobSpec } from '../job/job-spec';
import type { StateBackend } from '../state/state-backend';
import { systemClock, type Clock } from '../time/clock';
import { JobMetrics } from '../task/metrics';
import { StreamTask, type TaskStatus } from '../task/stream-task';
import { ConfigurationError } from '../util/errors';
import { errorMessage } from '../util/error-message';
import { defaultLogger, type Logger } from '../util/logger';
import { OutputRouter } from './output-router';
import type { ExchangeWriter } from './exchange-writer';
import type { SegmentOptions } from './segment-options';

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
  readonly partition: number;
  readonly task: StreamTask;
  /** By the key its position is kept under: the source, or `<source>@<partition>` when read whole. */
  readonly readers: Map<string, Reader>;
  lastCheckpointAt: number;
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
  private stopping = false;
  private running: Promise<RunSummary> | undefined;
  private runs: TaskRun[] = [];

  constructor(private readonly options: JobRunnerOptions) {
    checkJob(options.job);
    this.metrics = options.metrics ?? new JobMetrics();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? defaultLogger(options.job.name);
    this.checkWiring();
    this.router = new OutputRouter(options.job, options.sinks, this.logger);
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
    return this.runs.map(({ task }) => task.status());
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
        run.task.close();
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
    const distinct = new Set(counts.filter(([name]) => !whole.has(name)).map(([, n]) => n));
    if (distinct.size > 1 && this.options.job.operator) {
      throw new ConfigurationError(
        `job "${this.options.job.name}": the inputs of a keyed operator must be co-partitioned, but ` +
          counts.map(([name, n]) => `${name} has ${n}`).join(', ') +
          ' partitions; give them the same partition count and partitioner',
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
    const { job, sources, backend, exchangeOut, exchangeIn } = this.options;
    const taskId = this.options.taskIdOf?.(partition) ?? String(partition);
    const task = await StreamTask.open({
      job,
      taskId,
      partition,
      backend,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      exchange: exchangeIn,
      rekeyed: Object.keys(whole).length > 0 ? { tasks, sources: whole } : undefined,
      emit: (emission, epoch, attempt) => {
        if (exchangeOut && emission.stream.kind === 'main') {
          exchangeOut.route(partition, epoch, attempt, emission.record);
          // the stream goes to a sink as well (fan-out)
          if (job.outputs.main === undefined) return;
        }
        this.router.route(taskId, emission);
      },
    });
    await markRestored(exchangeOut, partition, task);
    const readers = new Map<string, Reader>();
    for (const spec of job.sources) {
      const connector = sources[spec.name];
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
    return { partition, task, readers, lastCheckpointAt: this.clock.now() };
  }

  private async loop(run: TaskRun): Promise<void> {
    const { task, readers } = run;
    const ended = new Set<string>();
    const batchSize = this.options.batchSize ?? 500;
    while (!this.stopping) {
      let received = 0;
      for (const [at, { source, partition, reader }] of readers) {
        if (ended.has(at)) continue;
        const { records, end } = await reader.read(batchSize);
        const exchange = source === this.options.exchangeIn?.source;
        if (records.length > 0) {
          received += records.length;
          if (exchange) await task.processExchange(records);
          else await task.processBatch(source, records.map(decodeJson), at, partition);
          await this.flush(run);
        }
        // an exchange ends when every upstream task sent its last marker
        if (exchange ? task.exchangeEnded : end) {
          ended.add(at);
          await task.endInput(source, partition);
          await this.flush(run);
        }
      }
      if (ended.size === readers.size) break;
      if (received === 0) {
        await task.tick();
        await this.flush(run);
        await sleep(this.options.pollIntervalMs ?? 20);
      } else {
        // Let timers, I/O and other tasks run between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.clock.now() - run.lastCheckpointAt >= this.checkpointInterval)
        await this.checkpoint(run);
    }
    await this.checkpoint(run);
  }

  /** What the task emitted goes to the sinks and to the exchange it feeds. */
  private async flush(run: TaskRun): Promise<void> {
    await this.router.flush(run.task.id);
    await this.options.exchangeOut?.flush(run.partition);
  }

  /**
   * Outputs are already in the sinks (flushed after every step); then the atomic commit,
   * then the exchange markers of the committed epoch.
   */
  private async checkpoint(run: TaskRun): Promise<void> {
    await this.flush(run);
    const checkpoint = await run.task.checkpoint();
    await this.options.exchangeOut?.mark(
      run.partition,
      checkpoint.id,
      run.task.attempt,
      checkpoint.watermarks.current,
      run.task.allInputsEnded,
    );
    run.lastCheckpointAt = this.clock.now();
    for (const [at, { reader }] of run.readers) {
      const next = checkpoint.positions[at];
      if (next !== undefined) await reader.commit?.(next);
    }
  }

  private startProgressLog(): NodeJS.Timeout | undefined {
    const every = this.options.progressIntervalMs ?? 10_000;
    if (every <= 0) return undefined;
    const timer = setInterval(() => {
      const m = this.metrics;
      this.logger.info(
        `progress: ${m.recordsIn} in, ${m.mainOut} out, ${m.late} late, ${m.deadLetters} dead letters, ` +
          `${m.checkpoints} checkpoints; watermarks ${this.runs.map((r) => r.task.watermark).join(',')}`,
      );
    }, every);
    timer.unref();
    return timer;
  }
}

/**
 * A task that restored checkpoint E tells the exchange it feeds that E is committed,
 * naming the attempt that committed it: that attempt may have died before its markers.
 */
export async function markRestored(
  exchange: ExchangeWriter | undefined,
  partition: number,
  task: StreamTask,
): Promise<void> {
  const attempt = task.committedAttempt;
  if (!exchange || attempt === undefined) return;
  await exchange.mark(partition, task.checkpointId, attempt, task.watermark, false);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

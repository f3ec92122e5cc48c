import type { SinkConnector } from '../connectors/connector';
import { decodeJson } from '../connectors/json-codec';
import type {
  Assignment,
  BrokerClient,
  BrokerConsumer,
  BrokerRecord,
} from '../connectors/kafka/broker-client';
import { checkJob } from '../job/check-job';
import type { JobSpec } from '../job/job-spec';
import type { StateBackend } from '../state/state-backend';
import { systemClock, type Clock } from '../time/clock';
import { JobMetrics } from '../task/metrics';
import { StreamTask, type TaskStatus } from '../task/stream-task';
import { errorMessage } from '../util/error-message';
import { ConfigurationError, StreamGenError } from '../util/errors';
import { CheckpointFencedError } from '../state/redis';
import { defaultLogger, type Logger } from '../util/logger';
import type { RunSummary } from './job-runner';
import { OutputRouter } from './output-router';
import type { NamedTopics } from './run-bindings';

export interface GroupJobRunnerOptions {
  readonly job: JobSpec;
  readonly client: BrokerClient;
  readonly topics: NamedTopics;
  readonly sinks: Readonly<Record<string, SinkConnector>>;
  readonly backend: StateBackend;
  readonly backendsDescription?: string;
  /** Consumer group (default `stream-gen.<job>`): every instance of the job joins it. */
  readonly groupId?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Called once the run ended, after the sinks closed (disconnect shared clients). */
  readonly onClose?: () => Promise<void>;
  readonly checkpointIntervalMs?: number;
  /** How often idle tasks are ticked (idleness, processing-time timers, due checkpoints). Default 200 ms. */
  readonly tickIntervalMs?: number;
}

interface OwnedTask {
  readonly partition: number;
  readonly task: Promise<StreamTask>;
  /** Calls into the task run one at a time, in order. */
  queue: Promise<void>;
  lastCheckpointAt: number;
  revoked: boolean;
}

/**
 * Runs a job as a member of a consumer group: Kafka's group protocol decides which
 * partitions (tasks) this process owns. On assignment a task restores its newest
 * checkpoint and the consumer seeks to the checkpoint's offsets; on revocation its
 * uncommitted work is abandoned (the new owner replays it from the checkpoint).
 * Records below a task's checkpointed position are skipped, so nothing is applied
 * twice even when the group's committed offsets lag behind the checkpoint.
 */
export class GroupJobRunner {
  readonly metrics = new JobMetrics();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly router: OutputRouter;
  private readonly owned = new Map<number, OwnedTask>();
  /** Owned tasks that finished opening (for status). */
  private readonly opened = new Map<number, StreamTask>();
  private readonly sourceOfTopic = new Map<string, string>();
  private consumer: BrokerConsumer | undefined;
  private running: Promise<RunSummary> | undefined;
  private stopped: (() => void) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private failure: unknown;

  constructor(private readonly options: GroupJobRunnerOptions) {
    checkJob(options.job);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? defaultLogger(options.job.name);
    this.router = new OutputRouter(options.job, options.sinks, this.logger);
    for (const s of options.job.sources)
      this.sourceOfTopic.set(options.topics.sources[s.name] ?? s.name, s.name);
  }

  /** Joins the group and processes until {@link stop} (or a fatal error). */
  run(): Promise<RunSummary> {
    this.running ??= this.execute();
    return this.running;
  }

  /** Stops fetching, finishes the batches in flight, checkpoints every owned task, leaves the group. */
  async stop(): Promise<void> {
    this.stopped?.();
    await this.running?.catch(() => undefined);
  }

  /** The tasks this process owns now, with their watermark, positions and last checkpoint. */
  status(): TaskStatus[] {
    return [...this.opened.values()].map((task) => task.status());
  }

  private async execute(): Promise<RunSummary> {
    const { job } = this.options;
    const started = Date.now();
    const groupId = this.options.groupId ?? `stream-gen.${job.name}`;
    const topics = [...this.sourceOfTopic.keys()];
    this.logger.info(
      `job ${job.name} starting on ${this.options.backendsDescription ?? 'Kafka'}: group "${groupId}", ` +
        `topics ${topics.join(', ')}; sinks ${Object.values(this.options.sinks)
          .map((s) => `${s.name} (${s.describe()})`)
          .join(', ')}; ` +
        `${this.options.backend.describe()}; checkpoint every ${this.checkpointInterval} ms`,
    );
    const stopRequested = new Promise<void>((resolve) => (this.stopped = resolve));
    try {
      await this.checkCoPartitioning(topics);
      await this.router.open();
      const consumer = await this.options.client.consumer(groupId);
      this.consumer = consumer;
      this.ticker = setInterval(() => this.tickAll(), this.options.tickIntervalMs ?? 200);
      await consumer.run(topics, {
        onAssignment: (assignment) => this.onAssignment(assignment),
        onBatch: (topic, partition, records) => this.onBatch(topic, partition, records),
        onError: (error) => this.fail(error),
      });
      await stopRequested;
      // Graceful stop: no new batches, the ones in flight finish, a final checkpoint,
      // and only then leave the group (so no one takes a partition mid-checkpoint).
      consumer.pause(topics);
      await this.checkpointAll();
    } finally {
      clearInterval(this.ticker);
      await this.quietly('leaving the group', () => this.consumer?.stop());
      for (const owned of this.owned.values()) {
        await this.quietly(`closing task ${owned.partition}`, async () =>
          (await owned.task).close(),
        );
      }
      await this.quietly('closing sinks', () => this.router.close());
      await this.quietly('closing clients', () => this.options.onClose?.());
    }
    if (this.failure) throw this.failure;
    const summary: RunSummary = {
      job: job.name,
      tasks: this.owned.size,
      elapsedMs: Date.now() - started,
      metrics: this.metrics.snapshot(),
    };
    this.logger.info(`job ${job.name} stopped: ${JSON.stringify(summary.metrics)}`);
    return summary;
  }

  /** Clean-up that must go on even when one step fails; failures are logged. */
  private async quietly(what: string, step: () => Promise<unknown> | undefined): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.logger.warn(`${what} failed: ${errorMessage(error)}`);
    }
  }

  /** The inputs of a keyed operator must have the same partition count (0: not created yet). */
  private async checkCoPartitioning(topics: readonly string[]): Promise<void> {
    if (topics.length < 2) return;
    const counts = await Promise.all(
      topics.map(async (t) => [t, await this.options.client.partitionCount(t)] as const),
    );
    const known = counts.filter(([, n]) => n > 0);
    if (new Set(known.map(([, n]) => n)).size > 1) {
      throw new ConfigurationError(
        `job "${this.options.job.name}": the inputs of a keyed operator must be co-partitioned, but ` +
          known.map(([t, n]) => `topic ${t} has ${n}`).join(', ') +
          ' partitions; give them the same partition count and key',
      );
    }
  }

  private get checkpointInterval(): number {
    return this.options.checkpointIntervalMs ?? 5000;
  }

  private async onAssignment(assignment: Assignment): Promise<void> {
    const partitions = new Set<number>();
    for (const [topic, list] of Object.entries(assignment)) {
      if (this.sourceOfTopic.has(topic)) list.forEach((p) => partitions.add(p));
    }
    for (const [partition, owned] of this.owned) {
      if (partitions.has(partition)) continue;
      // Revoked: abandon what is not checkpointed; the new owner replays it.
      owned.revoked = true;
      this.owned.delete(partition);
      this.opened.delete(partition);
      await owned.queue;
      (await owned.task).close();
      this.logger.info(`task ${partition} revoked`);
    }
    for (const partition of partitions) {
      if (!this.owned.has(partition)) await this.assign(partition);
    }
    this.logger.info(
      `owning tasks ${[...this.owned.keys()].sort((a, b) => a - b).join(', ') || 'none'}`,
    );
  }

  private async assign(partition: number): Promise<void> {
    const taskId = String(partition);
    const task = StreamTask.open({
      job: this.options.job,
      taskId,
      backend: this.options.backend,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      emit: (emission) => this.router.route(taskId, emission),
    });
    const owned: OwnedTask = {
      partition,
      task,
      queue: Promise.resolve(),
      lastCheckpointAt: this.clock.now(),
      revoked: false,
    };
    this.owned.set(partition, owned);
    const opened = await task;
    if (!owned.revoked) this.opened.set(partition, opened);
    for (const [topic, source] of this.sourceOfTopic) {
      this.consumer?.seek(topic, partition, opened.positions[source] ?? 0);
    }
  }

  private onBatch(
    topic: string,
    partition: number,
    records: readonly BrokerRecord[],
  ): Promise<void> {
    const owned = this.owned.get(partition);
    const source = this.sourceOfTopic.get(topic);
    if (!owned || !source) return Promise.resolve();
    return this.serialized(owned, async (task) => {
      const from = task.positions[source] ?? 0;
      const fresh = records.filter((r) => r.offset >= from);
      if (fresh.length > 0) {
        await task.processBatch(source, fresh.map(decodeJson));
        await this.router.flush(task.id);
      }
      await this.checkpointIfDue(owned, task);
    });
  }

  private tickAll(): void {
    for (const owned of this.owned.values()) {
      void this.serialized(owned, async (task) => {
        await task.tick();
        await this.router.flush(task.id);
        await this.checkpointIfDue(owned, task);
      });
    }
  }

  /** Runs `work` after the task's previous call; a failure stops the job. */
  private serialized(owned: OwnedTask, work: (task: StreamTask) => Promise<void>): Promise<void> {
    const next = owned.queue.then(async () => {
      if (owned.revoked || this.failure) return;
      try {
        await work(await owned.task);
      } catch (error) {
        if (error instanceof CheckpointFencedError) await this.reopen(owned, error);
        else this.fail(error);
      }
    });
    owned.queue = next;
    return next;
  }

  private async checkpointIfDue(owned: OwnedTask, task: StreamTask): Promise<void> {
    if (this.clock.now() - owned.lastCheckpointAt < this.checkpointInterval) return;
    await this.checkpoint(owned, task);
  }

  /** Outputs are in the sinks (flushed after every batch); then the atomic commit; then Kafka offsets. */
  private async checkpoint(owned: OwnedTask, task: StreamTask): Promise<void> {
    if (owned.revoked) return;
    await this.router.flush(task.id);
    const checkpoint = await task.checkpoint();
    owned.lastCheckpointAt = this.clock.now();
    for (const [topic, source] of this.sourceOfTopic) {
      const next = checkpoint.positions[source];
      if (next === undefined) continue;
      // Informational only (lag tools): tasks restore from their checkpoints, so a commit
      // refused during a rebalance is retried with the next checkpoint, not fatal.
      await this.consumer?.commit(topic, owned.partition, next).catch((error: unknown) => {
        this.logger.debug(
          `offset commit of ${topic}/${owned.partition} skipped: ${errorMessage(error)}`,
        );
      });
    }
  }

  private async checkpointAll(): Promise<void> {
    await Promise.all(
      [...this.owned.values()].map((owned) =>
        this.serialized(owned, async (task) => {
          await this.checkpoint(owned, task);
        }),
      ),
    );
  }

  /**
   * Another owner committed this task's checkpoint since we restored it (a rebalance
   * raced us). Our uncommitted work is dropped and the task restarts from the
   * checkpoint that won; the rest of the job goes on.
   */
  private async reopen(owned: OwnedTask, error: CheckpointFencedError): Promise<void> {
    this.logger.warn(
      `task ${owned.partition}: ${error.message}; restarting it from the newest checkpoint`,
    );
    owned.revoked = true;
    this.owned.delete(owned.partition);
    this.opened.delete(owned.partition);
    (await owned.task).close();
    await this.assign(owned.partition);
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = error;
    const retriable = error instanceof StreamGenError && error.retriable;
    this.logger.error(
      `job ${this.options.job.name} failed${retriable ? ' (retriable)' : ''}: ${errorMessage(error)}`,
    );
    this.stopped?.();
  }
}

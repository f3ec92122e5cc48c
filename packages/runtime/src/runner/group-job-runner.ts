import type { SinkConnector } from '../connectors/connector';
import { answerQuery } from '../query/answer-query';
import type { QueryAnswer, StateQuery } from '../query/state-query';
import type {
  Assignment,
  BrokerClient,
  BrokerConsumer,
  BrokerRecord,
} from '../connectors/kafka/broker-client';
import { checkJob, operatorSources } from '../job/check-job';
import { openSourceSteps } from '../task/source-steps';
import { RunningLookups } from '../async/lookup-refresher';
import type { JobSpec, SourceSpec } from '../job/job-spec';
import type { StateBackend } from '../state/state-backend';
import { systemClock, type Clock } from '../time/clock';
import { JobMetrics } from '../task/metrics';
import type { TaskStatus } from '../task/stream-task';
import { RekeyStage } from './rekey-stage';
import { errorMessage } from '../util/error-message';
import { ConfigurationError, StreamGenError } from '../util/errors';
import { CheckpointFencedError, CheckpointRewoundError } from '../state/redis';
import { defaultLogger, type Logger } from '../util/logger';
import type { RunSummary } from './job-runner';
import type { SegmentOptions } from './segment-options';
import { OutputRouter } from './output-router';
import type { NamedTopics } from './run-bindings';
import { checkCoPartitioned } from './co-partitioning';
import { RepartitionInput, type RepartitionSources } from './repartition-input';
import { TaskHost, type HostedTask } from './task-host';

export interface GroupJobRunnerOptions extends SegmentOptions {
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
  /** Topic that re-keyed inputs go through (default `<job>.<operator>.repartition`). */
  readonly repartitionTopic?: string;
  /** How long a failing sink write is retried (the task waits) before the job fails. Default 10 min. */
  readonly sinkRetryMs?: number;
  /** Records a sink may hold not yet written before a flush waits (see `InFlightWrites`). Default 0. */
  readonly sinkBufferRecords?: number;
  /** How often idle tasks are ticked (idleness, processing-time timers, due checkpoints). Default 200 ms. */
  readonly tickIntervalMs?: number;
}

const CLEANUP_STEP_MS = 15_000;

interface OwnedTask {
  readonly partition: number;
  readonly task: Promise<HostedTask>;
  /** Calls into the task run one at a time, in order. */
  queue: Promise<void>;
  /** Given up (revoked, or restarted after a fenced commit): its uncommitted work is abandoned. */
  revoked: boolean;
  /** Its input of the repartition topic, when the job re-keys. */
  readonly repartition: RepartitionInput | undefined;
}

/**
 * Runs a job as a member of a consumer group: Kafka's group protocol decides which
 * partitions (tasks) this process owns. On assignment a task restores its newest
 * checkpoint and the consumer seeks to the checkpoint's offsets; on revocation its
 * uncommitted work is abandoned (the new owner replays it from the checkpoint). The
 * group's committed offsets only say where lag tools see the job: behind the
 * checkpoint (a commit that failed) or ahead of it (after a rewind), the consumer
 * hands the task nothing fetched before its seek, and records below a task's position
 * are skipped too, so no input is lost or applied twice.
 */
export class GroupJobRunner {
  readonly metrics: JobMetrics;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly router: OutputRouter;
  private readonly host: TaskHost;
  private readonly owned = new Map<number, OwnedTask>();
  /** Owned tasks that finished opening (for status). */
  private readonly opened = new Map<number, HostedTask>();
  /** The task count, once a state query asked for it (a topic's partitions do not change under a job). */
  private partitions: number | undefined;
  /** Topic read by the tasks -> key of its position (the source name, or the repartition topic). */
  private readonly sourceOfTopic = new Map<string, string>();
  /** Re-keyed sources: read by a {@link RekeyStage} and then through the repartition topic. */
  private readonly rekeyed = new Map<string, SourceSpec>();
  private readonly repartitionTopic: string | undefined;
  private readonly upstreamPartitions = new Map<string, number>();
  private readonly repartitionSources: RepartitionSources | undefined;
  private rekeyStage: RekeyStage | undefined;
  /** The lookup tables of the chain stages the re-keying stage runs to key elements. */
  private rekeyLookups: RunningLookups | undefined;
  private consumer: BrokerConsumer | undefined;
  private running: Promise<RunSummary> | undefined;
  private stopped: (() => void) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private failure: unknown;
  private stopRequested = false;

  constructor(private readonly options: GroupJobRunnerOptions) {
    checkJob(options.job);
    this.metrics = options.metrics ?? new JobMetrics();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? defaultLogger(options.job.name);
    this.router = new OutputRouter(options.job, options.sinks, this.logger, {
      budgetMs: options.sinkRetryMs ?? 10 * 60_000,
      bufferRecords: options.sinkBufferRecords,
      // a stop gives up a write that retries forever: nothing is checkpointed after it
      givenUp: () => this.failure !== undefined || this.stopRequested,
    });
    this.host = new TaskHost({
      ...options,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      router: this.router,
      checkpointIntervalMs: this.checkpointInterval,
      viewRetryMs: options.sinkRetryMs ?? 10 * 60_000,
      givenUp: () => this.failure !== undefined || this.stopRequested,
    });
    const op = options.job.operator;
    const keyedInputs = op && op.kind !== 'async' ? operatorSources(options.job) : [];
    for (const s of options.job.sources) {
      if (keyedInputs.includes(s.name) && !s.partitionedByKey) this.rekeyed.set(s.name, s);
      else this.sourceOfTopic.set(this.topicOf(s.name), s.name);
    }
    if (this.rekeyed.size > 0) {
      this.repartitionTopic =
        options.repartitionTopic ?? `${options.job.name}.${op?.name}.repartition`;
      this.sourceOfTopic.set(this.repartitionTopic, this.repartitionTopic);
      this.repartitionSources = {
        topic: this.repartitionTopic,
        specs: this.rekeyed,
        upstreamPartitions: this.upstreamPartitions,
        logger: this.logger,
      };
    }
  }

  /** How many tasks the job runs: the partitions of the topics its tasks read. */
  async taskCount(): Promise<number> {
    const topic = [...this.sourceOfTopic.keys()][0];
    return topic === undefined ? 0 : this.options.client.partitionCount(topic);
  }

  private topicOf(source: string): string {
    return this.options.topics.sources[source] ?? source;
  }

  /** Joins the group and processes until {@link stop} (or a fatal error). */
  run(): Promise<RunSummary> {
    this.running ??= this.execute();
    return this.running;
  }

  /** Stops fetching, finishes the batches in flight, checkpoints every owned task, leaves the group. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.stopped?.();
    await this.running?.catch(() => undefined);
  }

  /** The tasks this process owns now, with their watermark, positions and last checkpoint. */
  status(): TaskStatus[] {
    return [...this.opened.values()].map(({ task }) => task.status());
  }

  /**
   * Reads a key of a keyed state from the task it belongs to, when this process owns it.
   * Keys are where Kafka's partitioner put them when every keyed source is partitioned
   * by key, else where the re-keying stage (or the exchange) put them.
   */
  async queryState(query: StateQuery): Promise<QueryAnswer> {
    return answerQuery(
      {
        job: this.options.job,
        partitions: (this.partitions ??= await this.taskCount()),
        byKafkaKey: this.rekeyed.size === 0 && this.options.exchangeIn === undefined,
        taskId: (p) => this.options.taskIdOf?.(p) ?? String(p),
        task: (p) => this.opened.get(p)?.task,
      },
      query,
    );
  }

  /** Makes a checkpoint of every owned task due now (taken at its next tick or batch). */
  requestCheckpoint(): void {
    for (const hosted of this.opened.values()) hosted.requestCheckpoint();
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
      await this.startRekeyStage(groupId);
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
      await this.quietly('pausing the consumer', async () => consumer.pause(topics));
      await this.checkpointAll();
      if (!this.failure) {
        this.logger.info(
          `final checkpoint taken for tasks ${[...this.owned.keys()].sort((a, b) => a - b).join(', ') || 'none'}`,
        );
      }
    } finally {
      clearInterval(this.ticker);
      this.rekeyLookups?.stop();
      await this.quietly('stopping the re-key stage', () => this.rekeyStage?.stop());
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

  /**
   * Clean-up that must go on even when one step fails or hangs (a broker that is
   * gone): failures are logged, and a step is given up on after 15 s.
   */
  private async quietly(what: string, step: () => Promise<unknown> | undefined): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('gave up after 15 s')), CLEANUP_STEP_MS);
    });
    try {
      await Promise.race([step(), giveUp]);
    } catch (error) {
      this.logger.warn(`${what} failed: ${errorMessage(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The topics the tasks read must have the same partition count. */
  private async checkCoPartitioning(topics: readonly string[]): Promise<void> {
    if (topics.length < 2) return;
    const counts = await Promise.all(
      topics.map(async (t) => [`topic ${t}`, await this.options.client.partitionCount(t)] as const),
    );
    checkCoPartitioned(this.options.job.name, counts);
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
      this.options.exchangeOut?.discard(partition);
      this.owned.delete(partition);
      this.opened.delete(partition);
      await owned.queue;
      await (await owned.task).close();
      this.logger.info(`task ${partition} revoked`);
    }
    for (const partition of partitions) {
      const kept = this.owned.get(partition);
      // A new generation reads a partition from the group's committed offset, which
      // may be ahead of the task after a rewind: a task kept reads on from its position.
      if (kept) this.seekTo(partition, await kept.task);
      else await this.assign(partition);
    }
    this.logger.info(
      `owning tasks ${[...this.owned.keys()].sort((a, b) => a - b).join(', ') || 'none'}`,
    );
  }

  private async assign(partition: number): Promise<void> {
    const owned: OwnedTask = {
      partition,
      task: this.host.open(partition, {
        externalWatermarks: new Set(this.rekeyed.keys()),
        commitPositions: (positions) => this.commitOffsets(partition, positions),
        abandoned: () => owned.revoked,
      }),
      queue: Promise.resolve(),
      revoked: false,
      repartition:
        this.repartitionSources && new RepartitionInput(this.repartitionSources, partition),
    };
    this.owned.set(partition, owned);
    const opened = await owned.task;
    if (!owned.revoked) this.opened.set(partition, opened);
    this.seekTo(partition, opened);
  }

  /** The task's topics are read from its positions on (not from the group's offsets). */
  private seekTo(partition: number, hosted: HostedTask): void {
    for (const [topic, source] of this.sourceOfTopic) {
      this.consumer?.seek(topic, partition, hosted.task.positions[source] ?? 0);
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
    return this.serialized(owned, async (hosted) => {
      if (topic === this.repartitionTopic) await owned.repartition?.apply(hosted.task, records);
      else await hosted.process(source, records);
      await hosted.afterWork();
    });
  }

  /** Starts stage one for the re-keyed sources (its own consumer group). */
  private async startRekeyStage(groupId: string): Promise<void> {
    const topic = this.repartitionTopic;
    if (!topic) return;
    const partitions = await this.options.client.partitionCount(topic);
    if (partitions === 0) {
      throw new ConfigurationError(
        `job "${this.options.job.name}" re-keys ${[...this.rekeyed.keys()].join(', ')}, so it needs the topic "${topic}": ` +
          'create it with as many partitions as tasks you want (or mark sources partitionedByKey when they already are)',
      );
    }
    const sources = new Map<string, SourceSpec>();
    this.rekeyLookups = new RunningLookups(this.logger);
    const steps = await openSourceSteps(this.options.job, this.rekeyLookups);
    for (const [name, spec] of this.rekeyed) {
      sources.set(this.topicOf(name), { ...spec, steps: steps.get(name) });
      this.upstreamPartitions.set(
        name,
        await this.options.client.partitionCount(this.topicOf(name)),
      );
    }
    this.rekeyStage = new RekeyStage({
      client: this.options.client,
      sources,
      repartitionTopic: topic,
      repartitionPartitions: partitions,
      groupId: `${groupId}.rekey`,
      logger: this.logger,
      clock: this.clock,
      retries: this.options.job.onError?.retries ?? 0,
    });
    await this.rekeyStage.start((error) => this.fail(error));
  }

  private tickAll(): void {
    for (const owned of this.owned.values()) {
      void this.serialized(owned, async (hosted) => {
        await hosted.task.tick();
        await hosted.afterWork();
      });
    }
  }

  /** Runs `work` after the task's previous call; a failure stops the job. */
  private serialized(owned: OwnedTask, work: (task: HostedTask) => Promise<void>): Promise<void> {
    const next = owned.queue.then(async () => {
      if (owned.revoked || this.failure) return;
      try {
        const hosted = await owned.task;
        hosted.throwCommitError();
        await work(hosted);
      } catch (error) {
        if (error instanceof CheckpointRewoundError) this.fail(rewoundWhileRunning(error));
        else if (error instanceof CheckpointFencedError) await this.reopen(owned, error);
        else this.fail(error);
      }
    });
    owned.queue = next;
    return next;
  }

  /**
   * The Kafka offsets of a committed checkpoint. Informational only (lag tools): tasks
   * restore from their checkpoints, so a commit refused during a rebalance is retried
   * with the next checkpoint, not fatal.
   */
  private async commitOffsets(
    partition: number,
    positions: Readonly<Record<string, number>>,
  ): Promise<void> {
    await Promise.all(
      [...this.sourceOfTopic].map(([topic, source]) => {
        const next = positions[source];
        return next === undefined
          ? undefined
          : this.consumer?.commit(topic, partition, next).catch((error: unknown) => {
              this.logger.debug(
                `offset commit of ${topic}/${partition} skipped: ${errorMessage(error)}`,
              );
            });
      }),
    );
  }

  /** The final checkpoint of every owned task (graceful stop), after any in flight. */
  private async checkpointAll(): Promise<void> {
    await Promise.all(
      [...this.owned.values()].map((owned) =>
        this.serialized(owned, (hosted) => hosted.checkpointNow()),
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
    this.options.exchangeOut?.discard(owned.partition);
    this.owned.delete(owned.partition);
    this.opened.delete(owned.partition);
    await (await owned.task).close();
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

/**
 * `stream-gen rewind` ran while this process was running: restarting the task here
 * would run this (possibly buggy) version over the restated input, so the job stops.
 */
function rewoundWhileRunning(error: CheckpointRewoundError): Error {
  return new ConfigurationError(
    `${error.message} This process was running when the job was rewound; it stops so that ` +
      'the version you deploy next reprocesses the input. Stop every instance before a rewind.',
  );
}

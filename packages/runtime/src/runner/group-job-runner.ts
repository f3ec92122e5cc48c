import type { SinkConnector } from '../connectors/connector';
import { decodeJson } from '../connectors/json-codec';
import type {
  Assignment,
  BrokerClient,
  BrokerConsumer,
  BrokerRecord,
} from '../connectors/kafka/broker-client';
import { checkJob, operatorSources } from '../job/check-job';
import { openSourceSteps } from '../task/source-steps';
import type { JobSpec, SourceSpec } from '../job/job-spec';
import type { StateBackend } from '../state/state-backend';
import { systemClock, type Clock } from '../time/clock';
import { JobMetrics } from '../task/metrics';
import { StreamTask, type InputElement, type TaskStatus } from '../task/stream-task';
import { BEGINNING_OF_TIME } from '../time/time-bounds';
import { RekeyStage, type Envelope } from './rekey-stage';
import { errorMessage } from '../util/error-message';
import { ConfigurationError, StreamGenError } from '../util/errors';
import { CheckpointFencedError, CheckpointRewoundError } from '../state/redis';
import { defaultLogger, type Logger } from '../util/logger';
import { markRestored, type RunSummary } from './job-runner';
import type { SegmentOptions } from './segment-options';
import { OutputRouter } from './output-router';
import type { NamedTopics } from './run-bindings';

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
  /** How often idle tasks are ticked (idleness, processing-time timers, due checkpoints). Default 200 ms. */
  readonly tickIntervalMs?: number;
}

const CLEANUP_STEP_MS = 15_000;

interface OwnedTask {
  readonly partition: number;
  readonly task: Promise<StreamTask>;
  /** Calls into the task run one at a time, in order. */
  queue: Promise<void>;
  lastCheckpointAt: number;
  /** The checkpoint being committed while the task goes on processing. */
  committing: Promise<void> | undefined;
  /** Why the last background commit failed; handled by the task's next call. */
  commitError: unknown;
  revoked: boolean;
  /** Latest event-time progress per re-keyed source and upstream partition. */
  readonly marks: Map<string, Map<number, { maxEventTime: number; idle: boolean }>>;
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
  readonly metrics: JobMetrics;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly router: OutputRouter;
  private readonly owned = new Map<number, OwnedTask>();
  /** Owned tasks that finished opening (for status). */
  private readonly opened = new Map<number, StreamTask>();
  /** Topic read by the tasks -> key of its position (the source name, or the repartition topic). */
  private readonly sourceOfTopic = new Map<string, string>();
  /** Re-keyed sources: read by a {@link RekeyStage} and then through the repartition topic. */
  private readonly rekeyed = new Map<string, SourceSpec>();
  private readonly repartitionTopic: string | undefined;
  private readonly upstreamPartitions = new Map<string, number>();
  private rekeyStage: RekeyStage | undefined;
  private consumer: BrokerConsumer | undefined;
  private running: Promise<RunSummary> | undefined;
  private stopped: (() => void) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private failure: unknown;

  constructor(private readonly options: GroupJobRunnerOptions) {
    checkJob(options.job);
    this.metrics = options.metrics ?? new JobMetrics();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? defaultLogger(options.job.name);
    this.router = new OutputRouter(options.job, options.sinks, this.logger, {
      budgetMs: options.sinkRetryMs ?? 10 * 60_000,
      givenUp: () => this.failure !== undefined,
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
      await this.quietly('stopping the re-key stage', () => this.rekeyStage?.stop());
      await this.quietly('leaving the group', () => this.consumer?.stop());
      for (const owned of this.owned.values()) {
        await this.quietly(`closing task ${owned.partition}`, async () => {
          await owned.committing;
          (await owned.task).close();
        });
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
      this.options.exchangeOut?.discard(partition);
      this.owned.delete(partition);
      this.opened.delete(partition);
      await owned.queue;
      await owned.committing;
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
    const { job, exchangeOut, exchangeIn } = this.options;
    const taskId = this.options.taskIdOf?.(partition) ?? String(partition);
    const task = StreamTask.open({
      job: this.options.job,
      taskId,
      partition,
      backend: this.options.backend,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      exchange: exchangeIn,
      emit: (emission, epoch, attempt) => {
        if (exchangeOut && emission.stream.kind === 'main') {
          exchangeOut.route(partition, epoch, attempt, emission.record);
          // the stream goes to a sink as well (fan-out)
          if (job.outputs.main === undefined) return;
        }
        this.router.route(taskId, emission);
      },
      externalWatermarks: new Set(this.rekeyed.keys()),
    });
    const owned: OwnedTask = {
      partition,
      task,
      queue: Promise.resolve(),
      lastCheckpointAt: this.clock.now(),
      committing: undefined,
      commitError: undefined,
      revoked: false,
      marks: new Map(),
    };
    this.owned.set(partition, owned);
    const opened = await task;
    if (!owned.revoked) this.opened.set(partition, opened);
    await markRestored(exchangeOut, partition, opened);
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
    if (topic === this.repartitionTopic) return this.onRepartitionBatch(owned, topic, records);
    if (source === this.options.exchangeIn?.source) {
      return this.serialized(owned, async (task) => {
        await task.processExchange(records);
        await this.afterWork(owned, task);
      });
    }
    return this.serialized(owned, async (task) => {
      const from = task.positions[source] ?? 0;
      const fresh = records.filter((r) => r.offset >= from);
      if (fresh.length > 0) {
        await task.processBatch(source, fresh.map(decodeJson));
      }
      await this.afterWork(owned, task);
    });
  }

  /**
   * A batch of the repartition topic: elements of several upstream partitions, and
   * their event-time marks. An element at or below the upstream offset the task's
   * checkpoint holds is a resend from stage one and is skipped.
   */
  private onRepartitionBatch(
    owned: OwnedTask,
    topic: string,
    records: readonly BrokerRecord[],
  ): Promise<void> {
    return this.serialized(owned, async (task) => {
      const from = task.positions[topic] ?? 0;
      const next = new Map<string, number>();
      const groups: Array<{ source: string; key: string; up: number; elements: InputElement[] }> =
        [];
      for (const record of records) {
        if (record.offset < from) continue;
        const envelope = parseEnvelope(record);
        if (!envelope) {
          this.logger.warn(
            `${topic}/${owned.partition} offset ${record.offset} is not a stream-gen envelope; skipped`,
          );
          continue;
        }
        if ('mark' in envelope) {
          if (!owned.marks.has(envelope.s)) owned.marks.set(envelope.s, new Map());
          owned.marks
            .get(envelope.s)
            ?.set(envelope.up, { maxEventTime: envelope.mark, idle: envelope.idle });
          continue;
        }
        const key = `${envelope.s}@${envelope.up}`;
        const expected = next.get(key) ?? task.positions[key] ?? 0;
        if (envelope.off < expected) continue;
        next.set(key, envelope.off + 1);
        const last = groups[groups.length - 1];
        const element = decodeJson({ offset: envelope.off, value: envelope.v });
        if (last && last.key === key) last.elements.push(element);
        else groups.push({ source: envelope.s, key, up: envelope.up, elements: [element] });
      }
      for (const group of groups)
        await task.processBatch(group.source, group.elements, group.key, group.up);
      if (records.length > 0) task.positions[topic] = records[records.length - 1].offset + 1;
      for (const [source, spec] of this.rekeyed) {
        const watermark = this.upstreamWatermark(owned, source, spec);
        if (watermark !== undefined) await task.advanceInputWatermark(source, watermark);
      }
      await this.afterWork(owned, task);
    });
  }

  /** Min over the upstream partitions that are not idle; undefined while all are idle. */
  private upstreamWatermark(
    owned: OwnedTask,
    source: string,
    spec: SourceSpec,
  ): number | undefined {
    const marks = owned.marks.get(source);
    const bound = spec.eventTime?.maxOutOfOrdernessMs ?? 0;
    let min = Number.POSITIVE_INFINITY;
    for (let up = 0; up < (this.upstreamPartitions.get(source) ?? 0); up++) {
      const mark = marks?.get(up);
      if (!mark) return BEGINNING_OF_TIME;
      if (!mark.idle) min = Math.min(min, mark.maxEventTime - bound);
    }
    return Number.isFinite(min) ? Math.max(BEGINNING_OF_TIME, min) : undefined;
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
    const steps = await openSourceSteps(this.options.job);
    for (const [name, spec] of this.rekeyed) {
      // The re-keying stage keys the first value a record's steps give: a flatMap could
      // give values of other keys, which would then reach a task that does not own them.
      const flatMap = steps.get(name)?.find((step) => step.kind === 'flatMap');
      if (flatMap) {
        throw new ConfigurationError(
          `source "${name}" is re-keyed on Kafka, and its step "${flatMap.name}" is a flatMap: ` +
            're-keying after a flatMap is not supported yet; declare the source partitionedByKey ' +
            'when its topic already is, or move the flatMap behind the keyed stage',
        );
      }
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
    });
    await this.rekeyStage.start((error) => this.fail(error));
  }

  private tickAll(): void {
    for (const owned of this.owned.values()) {
      void this.serialized(owned, async (task) => {
        await task.tick();
        await this.afterWork(owned, task);
      });
    }
  }

  /** Runs `work` after the task's previous call; a failure stops the job. */
  private serialized(owned: OwnedTask, work: (task: StreamTask) => Promise<void>): Promise<void> {
    const next = owned.queue.then(async () => {
      if (owned.revoked || this.failure) return;
      try {
        throwCommitError(owned);
        await work(await owned.task);
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
   * The end of every call into a task: its outputs go to the sinks, then, when one is
   * due, a checkpoint is snapshotted and committed in the background. The task goes on
   * processing meanwhile; the next checkpoint waits for this one.
   */
  private async afterWork(owned: OwnedTask, task: StreamTask): Promise<void> {
    await this.flush(owned, task);
    // A revoked task abandons its uncommitted work: the new owner replays it.
    if (owned.revoked || owned.committing) return;
    if (this.clock.now() - owned.lastCheckpointAt < this.checkpointInterval) return;
    owned.lastCheckpointAt = this.clock.now();
    owned.committing = this.checkpoint(owned, task)
      .catch((error: unknown) => {
        owned.commitError ??= error;
      })
      .finally(() => {
        owned.committing = undefined;
      });
  }

  /**
   * The atomic commit of state, timers and positions (the outputs are already in the
   * sinks), then the Kafka offsets. The task's snapshot is taken synchronously here.
   */
  private async checkpoint(owned: OwnedTask, task: StreamTask): Promise<void> {
    const checkpoint = await task.checkpoint();
    // the epoch is committed: the exchange may apply it (see task/epoch-gate.ts)
    await this.options.exchangeOut?.mark(
      owned.partition,
      checkpoint.id,
      task.attempt,
      checkpoint.watermarks.current,
      false,
    );
    await Promise.all(
      [...this.sourceOfTopic].map(([topic, source]) => {
        const next = checkpoint.positions[source];
        // Informational only (lag tools): tasks restore from their checkpoints, so a commit
        // refused during a rebalance is retried with the next checkpoint, not fatal.
        return next === undefined
          ? undefined
          : this.consumer?.commit(topic, owned.partition, next).catch((error: unknown) => {
              this.logger.debug(
                `offset commit of ${topic}/${owned.partition} skipped: ${errorMessage(error)}`,
              );
            });
      }),
    );
  }

  /** What the task emitted goes to the sinks and to the exchange it feeds. */
  private async flush(owned: OwnedTask, task: StreamTask): Promise<void> {
    await this.router.flush(task.id);
    await this.options.exchangeOut?.flush(owned.partition);
  }

  /** The final checkpoint of every owned task (graceful stop), after any in flight. */
  private async checkpointAll(): Promise<void> {
    await Promise.all(
      [...this.owned.values()].map((owned) =>
        this.serialized(owned, async (task) => {
          await owned.committing;
          throwCommitError(owned);
          if (owned.revoked) return;
          await this.flush(owned, task);
          owned.lastCheckpointAt = this.clock.now();
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
    this.options.exchangeOut?.discard(owned.partition);
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

/** A background commit failed: the task's next call handles it (fenced, rewound, fatal). */
function throwCommitError(owned: OwnedTask): void {
  const error = owned.commitError;
  if (error === undefined) return;
  owned.commitError = undefined;
  throw error;
}

function parseEnvelope(record: BrokerRecord): Envelope | undefined {
  try {
    const value = JSON.parse(record.value?.toString('utf8') ?? '') as Envelope;
    return typeof value?.s === 'string' && typeof value.up === 'number' ? value : undefined;
  } catch {
    return undefined;
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

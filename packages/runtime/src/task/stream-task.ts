import { windowJudgesLateness } from '../window/window-lateness';
import { randomUUID } from 'node:crypto';
import type { SourceSpec } from '../job/job-spec';
import type { RawRecord } from '../records';
import { operatorInputs, operatorSources } from '../job/check-job';
import { fusedStagesOf, keyedOutputOf } from '../job/chain-plan';
import { openOutputPlan, openSourcePlans } from './source-steps';
import { RunningLookups } from '../async/lookup-refresher';
import type { TaskCheckpoint } from '../state/checkpoint';
import type { CheckpointStore } from '../state/state-backend';
import { TimerService, type Timer } from '../time/timer-service';
import type { WatermarkTracker } from '../time/watermark-tracker';
import { KeyedContextImpl } from './keyed-context';
import { openAsyncOperator } from './async-operator';
import { TaskOutput } from './task-output';
import { CallJournal } from './call-journal';
import type { InputElement } from './input-element';
import { JournaledStateCache } from './journaled-state-cache';
import { ExchangeInput } from './exchange-input';
import { ElementIngest, type ReadyElement } from './element-ingest';
import type { StageExecutor } from './stage-executor';
import { StatelessExecutor } from './stateless-executor';
import { AsyncExecutor } from './async-executor';
import { KeyedExecutor } from './keyed-executor';
import { FusedStages } from './fused-stages';
import { TaskFailures } from './task-failures';
import { taskIngestTarget } from './task-ingest-target';
import { TimerFiring } from './timer-firing';
import { TaskCheckpointer } from './task-checkpointer';
import { TaskViews } from '../view/task-views';
import { endSourceWatermark, taskWatermarks } from './task-watermarks';
import type { StreamTaskOptions, TaskStatus } from './stream-task-options';

export type { InputElement } from './input-element';
export type { StreamTaskOptions, TaskStatus } from './stream-task-options';

/**
 * A task: one partition of every source of the job, with the keyed state, timers,
 * watermark and source positions that belong to it. Calls into a task must not
 * overlap (the runner serializes them per task).
 *
 * A facade over its parts: the ingest makes input elements ready, an executor runs the
 * operator over them, the timer firing fires what came due, the output names what
 * they emit, the failures take what cannot be processed, and the checkpointer saves
 * and restores it all.
 */
export class StreamTask {
  /** Next offset to read, per source. */
  readonly positions: Record<string, number> = {};
  private readonly sources = new Map<string, SourceSpec>();
  private readonly inputIndex = new Map<string, number>();
  /** Per source: the stream the operator reads it as (the source, or its chain's output). */
  private readonly inputStreams = new Map<string, string>();
  private readonly timers = new TimerService();
  /** The timers of the keyed stages fused after the operator, by stage id. */
  private readonly stageTimers: ReadonlyMap<string, TimerService>;
  private readonly watermarks: WatermarkTracker;
  private readonly journal: CallJournal;
  /** Attempts per user call: 1 + the error policy's retries. */
  private readonly attempts: number;
  /** The lookup tables of the task's chain stages. */
  private readonly stageLookups: RunningLookups;
  /** This opening of the task, saved in its checkpoints and named by exchange markers. */
  readonly attempt = randomUUID().slice(0, 8);
  private readonly exchange: ExchangeInput | undefined;
  /** Set while a batch of a re-keyed input is processed: the partition it came from. */
  private upstreamPartition: number | undefined;
  private readonly output: TaskOutput;
  private readonly failures: TaskFailures;
  private readonly ingest: ElementIngest;
  private readonly timerFiring: TimerFiring;
  private readonly checkpointer: TaskCheckpointer;
  /** For the sources the operator does not read, and every source when there is none. */
  private readonly stateless: StageExecutor;
  /** For the sources the operator reads. */
  private executor: StageExecutor;

  private constructor(
    private readonly options: StreamTaskOptions,
    checkpoints: CheckpointStore,
    private readonly cache: JournaledStateCache,
    views?: TaskViews,
  ) {
    const { job, clock } = options;
    this.attempts = 1 + (job.onError?.retries ?? 0);
    this.stageLookups = new RunningLookups(options.logger);
    for (const s of job.sources) this.sources.set(s.name, s);
    const inputs = operatorInputs(job);
    operatorSources(job).forEach((name, i) => {
      if (name === undefined) return;
      this.inputIndex.set(name, i);
      this.inputStreams.set(name, inputs[i]);
    });
    this.stageTimers = new Map(fusedStagesOf(job).map((s) => [s.id, new TimerService()]));
    this.watermarks = taskWatermarks(job.sources, options.rekeyed?.sources, clock.now());
    this.output = new TaskOutput({
      jobName: job.name,
      taskId: options.taskId,
      clock,
      metrics: options.metrics,
      emit: (emission) => options.emit(emission, this.openEpoch, this.attempt),
      hold: (emission) => this.journal.hold(emission),
    });
    this.journal = new CallJournal(cache, (emission) => this.output.deliver(emission));
    this.failures = new TaskFailures(
      this.output,
      job,
      options.taskId,
      options.partition,
      () => this.upstreamPartition,
    );
    if (options.exchange) {
      const { source, upstreamTasks } = options.exchange;
      this.exchange = new ExchangeInput(
        source,
        upstreamTasks,
        `${job.name}/`,
        options.logger,
        (offset, reason, value) =>
          this.failures.deadLetter(`${source}@${offset}`, source, offset, reason, value),
      );
    }
    this.checkpointer = new TaskCheckpointer({
      job,
      taskId: options.taskId,
      attempt: this.attempt,
      store: checkpoints,
      clock,
      logger: options.logger,
      metrics: options.metrics,
      positions: this.positions,
      watermarks: this.watermarks,
      timers: this.timers,
      stageTimers: this.stageTimers,
      cache,
      exchange: this.exchange,
      views,
    });
    this.stateless = new StatelessExecutor(this.output, this.failures);
    this.executor = this.stateless;
    this.timerFiring = new TimerFiring(
      this.timers,
      this.watermarks,
      (keys) => this.prefetch(keys),
      (domain, timer) => this.executor.fireTimer?.(domain, timer),
    );
    const external = new Set(options.externalWatermarks);
    if (options.exchange) external.add(options.exchange.source);
    this.ingest = new ElementIngest(
      {
        watermarks: this.watermarks,
        metrics: options.metrics,
        retries: this.attempts - 1,
        external,
        lateToOperator: windowJudgesLateness(job.operator) || job.operator?.processLate === true,
        rekeyed: options.rekeyed,
        ownPartition: options.partition ?? Number(options.taskId),
        checkFutureEventTimes: options.checkFutureEventTimes,
      },
      taskIngestTarget(this.output, this.failures, clock),
      () => this.upstreamPartition,
    );
  }

  /** Opens the task and restores its newest checkpoint, if any. */
  static async open(options: StreamTaskOptions): Promise<StreamTask> {
    const stores = await options.backend.openTask({ job: options.job.name, task: options.taskId });
    const cache = new JournaledStateCache(stores.state, options.clock, options.maxCachedEntries);
    const views = TaskViews.of(options.job, options.views, {
      scope: { job: options.job.name, task: options.taskId },
      store: stores.state,
      clock: options.clock,
      logger: options.logger,
      retryBudgetMs: options.viewRetryMs ?? 0,
      givenUp: options.viewsGivenUp,
    });
    const task = new StreamTask(options, stores.checkpoints, cache, views);
    try {
      task.ingest.plans = await openSourcePlans(options.job, task.stageLookups);
      task.output.outputPlan = await openOutputPlan(
        options.job,
        keyedOutputOf(options.job),
        task.stageLookups,
      );
      await task.checkpointer.restore();
      task.executor = await task.openExecutor();
    } catch (error) {
      // the lookup tables opened so far would go on reloading for a task nobody runs
      task.close();
      throw error;
    }
    return task;
  }

  get id(): string {
    return this.options.taskId;
  }

  get watermark(): number {
    return this.watermarks.current;
  }

  /** The names of the job's sources, in order. */
  get sourceNames(): string[] {
    return [...this.sources.keys()];
  }

  get checkpointId(): number {
    return this.checkpointer.checkpointId;
  }

  /** The checkpoint that will cover what the task processes now. */
  get openEpoch(): number {
    return this.checkpointer.openEpoch;
  }

  /** The attempt that committed the task's latest checkpoint (this one, once it committed). */
  get committedAttempt(): string | undefined {
    return this.checkpointer.committedAttempt;
  }

  /** The exchange input ended: every upstream task ended and all it sent was applied. */
  get exchangeEnded(): boolean {
    return this.exchange?.ended ?? false;
  }

  /** Watermark, positions and last checkpoint, for status endpoints and logs. */
  status(): TaskStatus {
    return {
      task: this.id,
      watermark: this.watermarks.current,
      positions: { ...this.positions },
      checkpoint: this.checkpointer.checkpointId,
    };
  }

  /** Pending timers, in firing order. */
  pendingTimers(): { event: readonly Timer[]; processing: readonly Timer[] } {
    return this.timers.snapshot();
  }

  /** Whether the task's functions declared a state of this name (`<stage id>.<state>` for a fused stage's). */
  hasState(state: string): boolean {
    return this.cache.descriptor(state) !== undefined;
  }

  /** Reads a state entry of a key, loading it when needed (tests, tools, queryable state). */
  async readState(state: string, key: string): Promise<unknown> {
    await this.cache.prefetch([key]);
    return this.cache.get(state, key);
  }

  /**
   * Handles one input batch of `source`: validates, applies steps, splits late
   * elements off, reads the state of all the batch's keys in one round trip, runs the
   * operator, then moves the watermark and fires the timers it made due.
   */
  async processBatch(
    source: string,
    elements: readonly InputElement[],
    /** Where the position is kept (default: the source name; per upstream partition after a repartition). */
    positionKey = source,
    /**
     * The source partition the elements were read from, when it is not the task's own
     * (a re-keyed input): it is part of their output ids, since two upstream partitions
     * hold the same offsets, and their dead letters name it.
     */
    upstreamPartition?: number,
  ): Promise<void> {
    this.upstreamPartition = upstreamPartition;
    try {
      await this.processElements(source, elements, positionKey);
    } finally {
      this.upstreamPartition = undefined;
    }
  }

  /**
   * Handles a batch of an exchange: elements wait in the gate until their upstream
   * epoch is committed; what the batch's markers released is processed in order, then
   * the input's watermark moves to the minimum over the upstream tasks.
   */
  async processExchange(records: readonly RawRecord[]): Promise<void> {
    const exchange = this.exchange;
    if (!exchange) throw new RangeError(`task ${this.id} reads no exchange`);
    const source = exchange.source;
    const partition = String(this.options.partition ?? this.id);
    for (const batch of exchange.accept(partition, records)) {
      this.upstreamPartition = batch.upstream;
      try {
        await this.processElements(source, batch.elements, undefined);
      } finally {
        this.upstreamPartition = undefined;
      }
    }
    this.positions[source] = exchange.position;
    const now = this.options.clock.now();
    if (exchange.ended) this.watermarks.end(source);
    else this.watermarks.setInputWatermark(source, exchange.watermark, now);
    await this.timerFiring.advance(now);
  }

  /** Releases what the task holds besides state (lookup refresh timers). */
  close(): void {
    this.executor.close?.();
    this.stageLookups.stop();
  }

  /** The source (or one partition of a source read whole) reached its end: its watermark becomes the end of time. */
  async endInput(source: string, partition?: number): Promise<void> {
    const whole = this.options.rekeyed?.sources;
    endSourceWatermark(this.watermarks, this.sourceSpec(source), whole, partition);
    await this.timerFiring.advance(this.options.clock.now());
  }

  /** Sets an input's watermark explicitly (harness, upstream watermarks). */
  async advanceInputWatermark(source: string, watermark: number): Promise<void> {
    const now = this.options.clock.now();
    this.watermarks.setInputWatermark(source, watermark, now);
    await this.timerFiring.advance(now);
  }

  /** Lets time pass without input: idle inputs are released, processing timers fire. */
  async tick(): Promise<void> {
    await this.timerFiring.advance(this.options.clock.now());
  }

  get allInputsEnded(): boolean {
    return this.watermarks.allEnded;
  }

  /**
   * Commits dirty state, timers, watermark and positions as one checkpoint, once every
   * output of the processed input is in the sinks (`outputsWritten`; the ordering is
   * argued at {@link TaskCheckpointer.checkpoint}).
   */
  checkpoint(outputsWritten?: () => Promise<void>): Promise<TaskCheckpoint> {
    return this.checkpointer.checkpoint(outputsWritten);
  }

  private async processElements(
    source: string,
    batch: readonly InputElement[],
    positionKey: string | undefined,
  ): Promise<void> {
    const spec = this.sourceSpec(source);
    const elements = await this.ingest.beforeBatch(spec, batch);
    const now = this.options.clock.now();
    const metrics = this.options.metrics;
    const input = this.inputIndex.get(source);
    const ready: ReadyElement[] = [];
    // the same for every element of the batch (it comes from one upstream partition)
    const counted = !this.ingest.readsForOthers(source);
    for (const element of elements) {
      // a record the re-keying stage split over several tasks counts where its first value went
      const share = 'encoded' in element ? element.valueIndexes : undefined;
      if (counted && (!share || share.includes(0))) metrics.recordsIn++;
      if (positionKey !== undefined) this.positions[positionKey] = element.offset + 1;
      this.ingest.prepare(spec, input, element, now, ready);
    }
    if (spec.eventTime) this.watermarks.touch(this.ingest.channelOf(source), now);
    await (input === undefined ? this.stateless : this.executor).run(source, ready);
    // timers the batch made due belong to no upstream partition
    this.upstreamPartition = undefined;
    await this.timerFiring.advance(now);
  }

  /** The executor of the job's operator, once the task restored its checkpoint. */
  private async openExecutor(): Promise<StageExecutor> {
    const { job, clock, logger } = this.options;
    const spec = job.operator;
    if (!spec) return this.stateless;
    if (spec.kind === 'async') {
      return new AsyncExecutor(await openAsyncOperator(spec, logger), this.output, this.failures);
    }
    const fused = await FusedStages.open(
      job,
      this.cache,
      this.stageTimers,
      this.watermarks.current,
      this.stageLookups,
      {
        jobName: job.name,
        taskId: this.id,
        emit: (stream, key, timestamp, value) => this.output.emit(stream, key, timestamp, value),
        named: (origin, run) => this.output.named(origin, run),
        countLate: () => this.options.metrics.late++,
        currentProcessingTime: () => clock.now(),
        onTimerChange: (undo) => this.journal.onTimerChange(undo),
      },
    );
    const ctx = new KeyedContextImpl({
      timers: this.timers,
      currentWatermark: () => this.watermarks.current,
      currentProcessingTime: () => clock.now(),
      emitKeyed: fused
        ? (stream, key, timestamp, value) => fused.fromOperator(stream, key, timestamp, value)
        : (stream, key, timestamp, value) => this.output.emit(stream, key, timestamp, value),
      named: (origin, run) => this.output.named(origin, run),
      countLate: () => this.options.metrics.late++,
      onTimerChange: (undo) => this.journal.onTimerChange(undo),
    });
    const executor = await KeyedExecutor.open(
      job,
      this.cache,
      ctx,
      {
        taskId: this.id,
        metrics: this.options.metrics,
        journal: this.journal,
        attempts: this.attempts,
        inputStreams: this.inputStreams,
        setOrigin: (origin) => this.output.setOrigin(origin),
        prefetch: (keys) => this.prefetch(keys),
        failed: (failure, origin, record) => this.failures.failed(failure, origin, record),
      },
      fused,
    );
    if (fused) {
      this.timerFiring.fused = fused.timerStages((target, domain, timer) =>
        executor.fireFusedTimer(target, domain, timer),
      );
    }
    return executor;
  }

  private sourceSpec(source: string): SourceSpec {
    const spec = this.sources.get(source);
    if (!spec) throw new RangeError(`job "${this.options.job.name}" has no source "${source}"`);
    return spec;
  }

  /** Loads the state of keys in one round trip, counted in the metrics. */
  private async prefetch(keys: Iterable<string>): Promise<void> {
    const before = this.cache.roundTrips;
    await this.cache.prefetch(keys);
    this.options.metrics.stateRoundTrips += this.cache.roundTrips - before;
  }
}

import { randomUUID } from 'node:crypto';
import type { JobSpec, SourceSpec } from '../job/job-spec';
import type { RawRecord } from '../records';
import { LATE_TAG } from '../job/job-spec';
import { operatorInputs, operatorSources } from '../job/check-job';
import { openOutputSteps, openSourceSteps } from './source-steps';
import type { TaskCheckpoint } from '../state/checkpoint';
import type { CheckpointStore, StateBackend } from '../state/state-backend';
import type { Clock } from '../time/clock';
import { TimerService, type TimeDomain, type Timer } from '../time/timer-service';
import { WatermarkTracker } from '../time/watermark-tracker';
import { errorMessage } from '../util/error-message';
import type { Logger } from '../util/logger';
import type { JobMetrics } from './metrics';
import { createKeyedOperator, type KeyedOperator } from './keyed-operator';
import { KeyedContextImpl } from './keyed-context';
import { openAsyncOperator, type AsyncOperator } from './async-operator';
import { StepError } from './steps';
import { TaskOutput } from './task-output';
import { CallJournal, isPromise, type FailedCall } from './call-journal';
import { failureReason, type CallFailure } from './call-failure';
import type { InputElement } from './input-element';
import { JournaledStateCache } from './journaled-state-cache';
import { UserFunctionError } from './user-function.error';
import { MAIN_STREAM, type Emission, type OutputStream } from './output-stream';
import { ExchangeInput } from './exchange-input';
import { ElementIngest, type ReadyElement } from './element-ingest';

export type { InputElement } from './input-element';

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
  /** Clean state entries the task keeps cached before forgetting them (default 100 000). */
  readonly maxCachedEntries?: number;
}

/**
 * A task: one partition of every source of the job, with the keyed state, timers,
 * watermark and source positions that belong to it. Calls into a task must not
 * overlap (the runner serializes them per task).
 */
export class StreamTask {
  /** Next offset to read, per source. */
  readonly positions: Record<string, number> = {};
  private readonly sources = new Map<string, SourceSpec>();
  private readonly inputIndex = new Map<string, number>();
  /** Per source: the stream the operator reads it as (the source, or its chain's output). */
  private readonly inputStream = new Map<string, string>();
  private readonly timers = new TimerService();
  private readonly watermarks: WatermarkTracker;
  private readonly cache: JournaledStateCache;
  private readonly journal: CallJournal;
  /** Attempts per user call: 1 + the error policy's retries. */
  private readonly attempts: number;
  private operator: KeyedOperator | undefined;
  private asyncOperator: AsyncOperator | undefined;
  private lastCheckpointId = 0;
  private committing: Promise<TaskCheckpoint> | undefined;
  /** The id of the checkpoint being committed: outputs from now on belong to the next one. */
  private committingId: number | undefined;
  /** This opening of the task, saved in its checkpoints and named by exchange markers. */
  readonly attempt = randomUUID().slice(0, 8);
  /** The attempt that committed the checkpoint this task restored. */
  private restoredAttempt: string | undefined;
  private readonly exchange: ExchangeInput | undefined;
  private currentKey = '';
  /** Set while a batch of a re-keyed input is processed: the partition it came from. */
  private upstreamPartition: number | undefined;
  private readonly output: TaskOutput;
  private readonly ctx: KeyedContextImpl;
  private readonly ingest: ElementIngest;

  private constructor(
    private readonly options: StreamTaskOptions,
    private readonly checkpoints: CheckpointStore,
    cache: JournaledStateCache,
  ) {
    const { job, clock } = options;
    this.attempts = 1 + (job.onError?.retries ?? 0);
    for (const s of job.sources) this.sources.set(s.name, s);
    const inputs = operatorInputs(job);
    operatorSources(job).forEach((name, i) => {
      if (name === undefined) return;
      this.inputIndex.set(name, i);
      this.inputStream.set(name, inputs[i]);
    });
    const policies: Record<string, { maxOutOfOrdernessMs: number; idleTimeoutMs?: number }> = {};
    for (const s of job.sources) {
      if (!s.eventTime) continue;
      const partitions = options.rekeyed?.sources[s.name];
      // a source read whole: each of its partitions holds the watermark back on its own
      if (partitions === undefined) policies[s.name] = s.eventTime;
      else for (let p = 0; p < partitions; p++) policies[`${s.name}@${p}`] = s.eventTime;
    }
    this.watermarks = new WatermarkTracker(policies, clock.now());
    if (options.exchange) {
      const { source, upstreamTasks } = options.exchange;
      this.exchange = new ExchangeInput(source, upstreamTasks, `${job.name}/`, options.logger);
    }
    this.cache = cache;
    this.output = new TaskOutput({
      jobName: job.name,
      taskId: options.taskId,
      clock,
      metrics: options.metrics,
      emit: (emission) => options.emit(emission, this.openEpoch, this.attempt),
      hold: (emission) => this.journal.hold(emission),
    });
    this.journal = new CallJournal(cache, (emission) => this.output.deliver(emission));
    this.ctx = new KeyedContextImpl({
      timers: this.timers,
      currentWatermark: () => this.watermarks.current,
      currentProcessingTime: () => clock.now(),
      emitKeyed: (stream, key, timestamp, value) => this.emitRecord(stream, key, timestamp, value),
      onTimerChange: (undo) => this.journal.onTimerChange(undo),
    });
    const external = new Set(options.externalWatermarks);
    if (options.exchange) external.add(options.exchange.source);
    this.ingest = new ElementIngest(
      {
        watermarks: this.watermarks,
        metrics: options.metrics,
        retries: this.attempts - 1,
        external,
        rekeyed: options.rekeyed,
        ownPartition: options.partition ?? Number(options.taskId),
        checkFutureEventTimes: options.checkFutureEventTimes,
      },
      {
        deadLetter: (origin, source, offset, reason, value) =>
          this.deadLetter(origin, source, offset, reason, value),
        late: (origin, key, timestamp, value, where) => {
          this.setOrigin(origin);
          try {
            this.emitRecord({ kind: 'side', tag: LATE_TAG }, key, timestamp, value);
          } catch (error) {
            const { source, offset, record } = where();
            this.deadLetter(origin, source, offset, `late element: ${errorMessage(error)}`, record);
          }
        },
        failed: (failure, origin, record) => this.failed(failure, origin, record),
      },
      () => this.upstreamPartition,
    );
  }

  /** Opens the task and restores its newest checkpoint, if any. */
  static async open(options: StreamTaskOptions): Promise<StreamTask> {
    const stores = await options.backend.openTask({ job: options.job.name, task: options.taskId });
    const cache = new JournaledStateCache(stores.state, options.clock, options.maxCachedEntries);
    const task = new StreamTask(options, stores.checkpoints, cache);
    task.ingest.steps = await openSourceSteps(options.job);
    task.output.outputSteps = await openOutputSteps(options.job);
    await task.restore();
    const spec = options.job.operator;
    if (spec?.kind === 'async') {
      task.asyncOperator = await openAsyncOperator(spec, options.logger);
    } else if (spec) {
      task.operator = await createKeyedOperator(
        options.job,
        options.taskId,
        cache,
        () => task.currentKey,
      );
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
    return this.lastCheckpointId;
  }

  /** The checkpoint that will cover what the task processes now. */
  get openEpoch(): number {
    return (this.committingId ?? this.lastCheckpointId) + 1;
  }

  /** The attempt that committed the task's latest checkpoint (this one, once it committed). */
  get committedAttempt(): string | undefined {
    return this.lastCheckpointId === 0 ? undefined : (this.restoredAttempt ?? this.attempt);
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
      checkpoint: this.lastCheckpointId,
    };
  }

  /** Pending timers, in firing order. */
  pendingTimers(): { event: readonly Timer[]; processing: readonly Timer[] } {
    return this.timers.snapshot();
  }

  /** Reads a state entry of a key, loading it when needed (tests and tools). */
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
    for (const batch of exchange.accept(this.id, records)) {
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
    await this.advance(now);
  }

  private async processElements(
    source: string,
    elements: readonly InputElement[],
    positionKey: string | undefined,
  ): Promise<void> {
    const spec = this.sourceSpec(source);
    const now = this.options.clock.now();
    const metrics = this.options.metrics;
    const input = this.inputIndex.get(source);
    const ready: ReadyElement[] = [];
    for (const element of elements) {
      if (!this.ingest.readsForOthers(source)) metrics.recordsIn++;
      if (positionKey !== undefined) this.positions[positionKey] = element.offset + 1;
      this.ingest.prepare(spec, input, element, now, ready);
    }
    if (spec.eventTime) this.watermarks.touch(this.ingest.channelOf(source), now);
    if (input !== undefined && this.asyncOperator) {
      await this.enrich(source, ready);
    } else if (input === undefined || !this.operator) {
      for (const r of ready) {
        this.setOrigin(r.origin);
        try {
          this.emitRecord(MAIN_STREAM, null, r.timestamp, r.value);
        } catch (error) {
          this.deadLetter(r.origin, source, r.offset, errorMessage(error), String(r.value));
        }
      }
    } else {
      await this.prefetch(ready.map((r) => r.key));
      for (const r of ready) {
        const pending = this.runElement(source, r);
        if (pending) await pending;
      }
    }
    // timers the batch made due belong to no upstream partition
    this.upstreamPartition = undefined;
    await this.advance(now);
  }

  /** Releases what the task holds besides state (lookup refresh timers). */
  close(): void {
    this.asyncOperator?.close();
  }

  /** The source (or one partition of a source read whole) reached its end: its watermark becomes the end of time. */
  async endInput(source: string, partition?: number): Promise<void> {
    const spec = this.sourceSpec(source);
    const partitions = this.options.rekeyed?.sources[source];
    if (spec.eventTime && partitions !== undefined && partition === undefined) {
      for (let p = 0; p < partitions; p++) this.watermarks.end(`${source}@${p}`);
    } else if (spec.eventTime) {
      this.watermarks.end(partitions === undefined ? source : `${source}@${partition}`);
    }
    await this.advance(this.options.clock.now());
  }

  /** Sets an input's watermark explicitly (harness, upstream watermarks). */
  async advanceInputWatermark(source: string, watermark: number): Promise<void> {
    const now = this.options.clock.now();
    this.watermarks.setInputWatermark(source, watermark, now);
    await this.advance(now);
  }

  /** Lets time pass without input: idle inputs are released, processing timers fire. */
  async tick(): Promise<void> {
    await this.advance(this.options.clock.now());
  }

  get allInputsEnded(): boolean {
    return this.watermarks.allEnded;
  }

  /**
   * Commits dirty state, timers, watermark and positions as one checkpoint.
   *
   * Ordering: the caller has already written every output of the processed input to
   * the sinks, and the task is not processing. The commit is atomic, so a crash before
   * it replays from the previous checkpoint (outputs may repeat, with the same ids;
   * state restarts from the previous checkpoint, so it is applied exactly once), and a
   * crash after it resumes from this one.
   *
   * The snapshot (positions, watermarks, timers and the state written since the last
   * checkpoint, serialized by the backend) is taken when this is called, so the task
   * may process more input while the commit is in flight. Called again before that
   * commit settled, it waits for it first.
   */
  async checkpoint(): Promise<TaskCheckpoint> {
    while (this.committing) await this.committing.catch(() => undefined);
    const committing = this.commit();
    this.committing = committing;
    try {
      return await committing;
    } finally {
      if (this.committing === committing) this.committing = undefined;
    }
  }

  private async commit(): Promise<TaskCheckpoint> {
    const checkpoint: TaskCheckpoint = {
      id: this.lastCheckpointId + 1,
      takenAt: this.options.clock.now(),
      positions: { ...this.positions },
      watermarks: this.watermarks.snapshot(),
      timers: this.timers.snapshot(),
      attempt: this.attempt,
      ...(this.exchange ? { exchange: this.exchange.snapshot() } : {}),
    };
    this.committingId = checkpoint.id;
    // Between two calls into the task, every clean entry is in the store: forget the
    // surplus now. Not after the commit, when the next batch may have prefetched its keys.
    this.cache.trim();
    const writes = this.cache.drainWrites();
    try {
      await this.checkpoints.commit(checkpoint, writes);
    } catch (error) {
      // The task is not used again after a failed commit (the runner fails the job or
      // reopens the task): outputs of epoch id + 1 are out, so id must not be reused.
      this.cache.markDirty(writes);
      throw error;
    }
    this.lastCheckpointId = checkpoint.id;
    this.restoredAttempt = undefined;
    this.committingId = undefined;
    this.options.metrics.checkpoints++;
    return checkpoint;
  }

  private async restore(): Promise<void> {
    const checkpoint = await this.checkpoints.latest();
    if (!checkpoint) return;
    this.lastCheckpointId = checkpoint.id;
    this.restoredAttempt = checkpoint.attempt ?? this.attempt;
    Object.assign(this.positions, checkpoint.positions);
    if (this.exchange) {
      this.exchange.restore(checkpoint.positions[this.exchange.source] ?? 0, checkpoint.exchange);
    }
    this.watermarks.restore(checkpoint.watermarks, this.options.clock.now());
    this.timers.restore(checkpoint.timers);
    this.options.logger.debug(
      `task ${this.id} restored checkpoint ${checkpoint.id} (positions ${JSON.stringify(checkpoint.positions)})`,
    );
  }

  private sourceSpec(source: string): SourceSpec {
    const spec = this.sources.get(source);
    if (!spec) throw new RangeError(`job "${this.options.job.name}" has no source "${source}"`);
    return spec;
  }

  private async prefetch(keys: Iterable<string>): Promise<void> {
    const before = this.cache.roundTrips;
    await this.cache.prefetch(keys);
    this.options.metrics.stateRoundTrips += this.cache.roundTrips - before;
  }

  private async enrich(source: string, ready: readonly ReadyElement[]): Promise<void> {
    const operator = this.asyncOperator as AsyncOperator;
    await operator.enrichBatch(
      ready.map((r) => r.value),
      (i, result) => {
        const r = ready[i];
        let reason: string;
        if (result.ok) {
          this.setOrigin(r.origin);
          try {
            this.emitRecord(MAIN_STREAM, r.key || null, r.timestamp, result.value);
            return;
          } catch (error) {
            reason =
              error instanceof StepError
                ? error.message
                : `enrichment "${operator.name}" returned ${errorMessage(error)}`;
          }
        } else {
          reason = `enrichment "${operator.name}" ${result.reason}`;
          const position = this.recordPosition(source, r.offset);
          this.failJobIfDeclared(reason, position, new Error(result.reason));
        }
        this.deadLetter(r.origin, source, r.offset, reason, r.value);
      },
    );
  }

  /** Synchronous unless the operator returned a promise. */
  private runElement(source: string, r: ReadyElement): void | Promise<void> {
    const operator = this.operator as KeyedOperator;
    this.currentKey = r.key;
    const ctx = this.ctx;
    ctx.key = r.key;
    ctx.timestamp = r.timestamp;
    ctx.input = this.inputStream.get(source) ?? source;
    const failed = this.journal.run(
      this.attempts,
      () => this.setOrigin(r.origin),
      () => operator.processElement(r.input, r.value, ctx),
    );
    if (isPromise<FailedCall | undefined>(failed)) {
      return failed.then((f) => this.elementFailed(operator, source, r, f));
    }
    this.elementFailed(operator, source, r, failed);
  }

  private elementFailed(
    operator: KeyedOperator,
    source: string,
    r: ReadyElement,
    failed: FailedCall | undefined,
  ): void {
    if (!failed) return;
    this.failed({ label: `operator "${operator.name}"`, ...failed }, r.origin, {
      source,
      offset: r.offset,
      value: r.value,
    });
  }

  /** Moves the watermark, then fires due event-time and processing-time timers. */
  private async advance(now: number): Promise<void> {
    if (this.watermarks.advance(now)) await this.fireTimers('event', this.watermarks.current);
    await this.fireTimers('processing', now);
  }

  /**
   * Fires every timer due at `time`, in timestamp order. The keys of all due timers
   * are loaded in one round trip; a timer registered while firing that is due before
   * the remaining ones fires first (its key is one being fired, so already loaded).
   */
  private async fireTimers(domain: TimeDomain, time: number): Promise<void> {
    const queue = this.timers.queue(domain);
    const due = queue.takeDue(time);
    if (due.length === 0) return;
    try {
      await this.prefetch(due.map((t) => t.key));
    } catch (error) {
      queue.putBack(due);
      throw error;
    }
    // In firing order, merged with timers registered while firing that are due before
    // the next taken one (they belong to a key being fired, so their state is loaded);
    // a taken timer deleted meanwhile does not fire, so each (key, timestamp) fires once.
    let i = 0;
    try {
      for (;;) {
        const early = queue.pollDue(time, due[i]);
        let timer: Timer | undefined = early;
        if (!timer) {
          if (i >= due.length) break;
          timer = due[i++];
          if (!queue.claim(timer)) continue;
        }
        const pending = this.fireTimer(domain, timer);
        if (pending) await pending;
      }
    } finally {
      // a call that failed the task leaves the rest pending, to fire after a restart
      if (i < due.length) queue.putBack(due.slice(i));
    }
  }

  /** Synchronous unless the operator returned a promise. */
  private fireTimer(domain: TimeDomain, timer: Timer): void | Promise<void> {
    const operator = this.operator;
    if (!operator) return;
    this.options.metrics.timersFired++;
    this.currentKey = timer.key;
    const ctx = this.ctx;
    ctx.key = timer.key;
    ctx.timestamp = timer.timestamp;
    ctx.input = '';
    ctx.timeDomain = domain;
    // Timer outputs are named after the timer, so their ids do not depend on batching.
    // (built only when the timer emits or fails: most timers of a join only clean up)
    const origin = () => `${domain}-timer@${timer.timestamp}:${timer.key}`;
    const failed = this.journal.run(
      this.attempts,
      () => this.setOrigin(origin),
      () => operator.onTimer(timer.timestamp, ctx),
    );
    if (isPromise<FailedCall | undefined>(failed)) {
      return failed.then((f) => this.timerFailed(operator, domain, timer, origin, f));
    }
    this.timerFailed(operator, domain, timer, origin, failed);
  }

  private timerFailed(
    operator: KeyedOperator,
    domain: TimeDomain,
    timer: Timer,
    origin: () => string,
    failed: FailedCall | undefined,
  ): void {
    if (failed) {
      const failure = { label: `operator "${operator.name}"`, where: ' in onTimer', ...failed };
      this.failed(failure, origin(), {
        source: `${domain}-timer`,
        offset: -1,
        value: { key: timer.key, timestamp: timer.timestamp },
        position: `${domain}-time timer ${timer.timestamp} of key ${JSON.stringify(timer.key)} in task ${this.id}`,
      });
    }
  }

  /**
   * A user function threw on every attempt: the record goes to the dead letters, or
   * the job fails when its error policy says so.
   */
  private failed(
    failure: CallFailure,
    origin: string,
    record: { source: string; offset: number; value: unknown; position?: string },
  ): void {
    const reason = failureReason(failure);
    const position = record.position ?? this.recordPosition(record.source, record.offset);
    this.failJobIfDeclared(reason, position, failure.error);
    this.deadLetter(origin, record.source, record.offset, reason, record.value);
  }

  private failJobIfDeclared(reason: string, position: string, cause: unknown): void {
    if (this.options.job.onError?.then === 'fail') {
      throw new UserFunctionError(this.options.job.name, reason, position, cause);
    }
  }

  private recordPosition(source: string, offset: number): string {
    return `source "${source}" partition ${this.upstreamPartition ?? this.id} offset ${offset}`;
  }

  private setOrigin(origin: string | (() => string)): void {
    this.output.setOrigin(origin);
  }

  private emitRecord(
    stream: OutputStream,
    key: string | null,
    timestamp: number,
    value: unknown,
  ): void {
    this.output.emit(stream, key, timestamp, value);
  }

  private deadLetter(
    origin: string,
    source: string,
    offset: number,
    reason: string,
    value: unknown,
  ): void {
    // A task is one partition of its sources, its id that partition's number; a re-keyed
    // record names the partition it was read from upstream.
    const partition = this.upstreamPartition ?? this.options.partition ?? Number(this.id);
    this.output.deadLetter(origin, { reason, source, partition, offset, value });
  }
}

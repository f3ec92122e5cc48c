import type { JobSpec, SourceSpec } from '../job/job-spec';
import { LATE_TAG } from '../job/job-spec';
import { operatorInputs } from '../job/check-job';
import {
  HEADER_ID,
  HEADER_OFFSET,
  HEADER_PARTITION,
  HEADER_REASON,
  HEADER_SOURCE,
} from '../records';
import type { TaskCheckpoint } from '../state/checkpoint';
import { KeyedStateCache } from '../state/keyed-state-cache';
import type { CheckpointStore, StateBackend } from '../state/state-backend';
import type { Clock } from '../time/clock';
import { TimerService, type TimeDomain, type Timer } from '../time/timer-service';
import { WatermarkTracker } from '../time/watermark-tracker';
import { errorMessage } from '../util/error-message';
import { UsageError } from '../util/errors';
import type { Logger } from '../util/logger';
import type { JobMetrics } from './metrics';
import { createKeyedOperator, type KeyedOperator } from './keyed-operator';
import { KeyedContextImpl } from './keyed-context';
import { openAsyncOperator, type AsyncOperator } from './async-operator';
import { applySteps } from './steps';
import {
  DEAD_LETTER_STREAM,
  MAIN_STREAM,
  type DeadLetter,
  type Emission,
  type OutputStream,
} from './output-stream';

export interface TaskStatus {
  readonly task: string;
  readonly watermark: number;
  readonly positions: Readonly<Record<string, number>>;
  readonly checkpoint: number;
}

/** One decoded element of an input batch. */
export interface InputElement {
  readonly value: unknown;
  readonly offset: number;
  /** Set when the record could not be decoded: it goes to the dead letters with this reason. */
  readonly error?: string;
}

export interface StreamTaskOptions {
  readonly job: JobSpec;
  /** The task's id: the partition number it owns. */
  readonly taskId: string;
  readonly backend: StateBackend;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: JobMetrics;
  /** Receives every output record, in order. The runner writes them to sinks before checkpointing. */
  readonly emit: (emission: Emission) => void;
  /**
   * Sources read through a repartition topic: their watermark comes only from the
   * upstream watermarks the runner passes in, not from the elements seen here.
   */
  readonly externalWatermarks?: ReadonlySet<string>;
}

interface ReadyElement {
  readonly value: unknown;
  readonly timestamp: number;
  readonly key: string;
  readonly offset: number;
  readonly input: number;
  /** Where output ids of this element start: `<source>@<offset>.<value index>`. */
  readonly origin: string;
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
  private readonly timers = new TimerService();
  private readonly watermarks: WatermarkTracker;
  private readonly cache: KeyedStateCache;
  private operator: KeyedOperator | undefined;
  private asyncOperator: AsyncOperator | undefined;
  private lastCheckpointId = 0;
  private currentKey = '';
  private outputSeq = 0;
  private outputIdPrefix = '';
  private readonly ctx: KeyedContextImpl;

  private constructor(
    private readonly options: StreamTaskOptions,
    private readonly checkpoints: CheckpointStore,
    cache: KeyedStateCache,
  ) {
    const { job, clock } = options;
    for (const s of job.sources) this.sources.set(s.name, s);
    operatorInputs(job).forEach((name, i) => this.inputIndex.set(name, i));
    const policies: Record<string, { maxOutOfOrdernessMs: number; idleTimeoutMs?: number }> = {};
    for (const s of job.sources) if (s.eventTime) policies[s.name] = s.eventTime;
    this.watermarks = new WatermarkTracker(policies, clock.now());
    this.cache = cache;
    this.ctx = new KeyedContextImpl({
      timers: this.timers,
      currentWatermark: () => this.watermarks.current,
      currentProcessingTime: () => clock.now(),
      emitKeyed: (stream, key, timestamp, value) => this.emitRecord(stream, key, timestamp, value),
    });
  }

  /** Opens the task and restores its newest checkpoint, if any. */
  static async open(options: StreamTaskOptions): Promise<StreamTask> {
    const stores = await options.backend.openTask({ job: options.job.name, task: options.taskId });
    const cache = new KeyedStateCache(stores.state, options.clock);
    const task = new StreamTask(options, stores.checkpoints, cache);
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

  get checkpointId(): number {
    return this.lastCheckpointId;
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
  ): Promise<void> {
    const spec = this.sourceSpec(source);
    const now = this.options.clock.now();
    const metrics = this.options.metrics;
    const input = this.inputIndex.get(source);
    const ready: ReadyElement[] = [];
    for (const element of elements) {
      metrics.recordsIn++;
      this.positions[positionKey] = element.offset + 1;
      this.prepare(spec, input, element, now, ready);
    }
    if (spec.eventTime) this.watermarks.touch(source, now);
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
      for (const r of ready) await this.runElement(source, r);
    }
    await this.advance(now);
  }

  /** Releases what the task holds besides state (lookup refresh timers). */
  close(): void {
    this.asyncOperator?.close();
  }

  /** The source reached its end: its watermark becomes the end of time. */
  async endInput(source: string): Promise<void> {
    const spec = this.sourceSpec(source);
    if (spec.eventTime) this.watermarks.end(source);
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
   */
  async checkpoint(): Promise<TaskCheckpoint> {
    const checkpoint: TaskCheckpoint = {
      id: this.lastCheckpointId + 1,
      takenAt: this.options.clock.now(),
      positions: { ...this.positions },
      watermarks: this.watermarks.snapshot(),
      timers: this.timers.snapshot(),
    };
    const writes = this.cache.drainWrites();
    try {
      await this.checkpoints.commit(checkpoint, writes);
    } catch (error) {
      this.cache.markDirty(writes);
      throw error;
    }
    this.lastCheckpointId = checkpoint.id;
    this.options.metrics.checkpoints++;
    this.cache.trim();
    return checkpoint;
  }

  private async restore(): Promise<void> {
    const checkpoint = await this.checkpoints.latest();
    if (!checkpoint) return;
    this.lastCheckpointId = checkpoint.id;
    Object.assign(this.positions, checkpoint.positions);
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

  /** Validation, steps, event time, key and lateness of one element. */
  private prepare(
    spec: SourceSpec,
    input: number | undefined,
    element: InputElement,
    now: number,
    ready: ReadyElement[],
  ): void {
    const base = `${spec.name}@${element.offset}`;
    const fail = (reason: string, origin = base) =>
      this.deadLetter(origin, spec.name, element.offset, reason, element.value);
    if (element.error !== undefined) return fail(element.error);
    const invalid = spec.validate?.(element.value);
    if (invalid !== undefined) return fail(`invalid record: ${invalid}`);
    let values: unknown[];
    try {
      values = applySteps(spec.steps ?? [], element.value);
    } catch (error) {
      return fail(errorMessage(error));
    }
    values.forEach((value, index) => {
      const origin = `${base}.${index}`;
      let timestamp = now;
      let key = '';
      if (spec.eventTime) {
        try {
          timestamp = spec.eventTime.timestamp(value);
        } catch (error) {
          return fail(`event time function threw: ${errorMessage(error)}`, origin);
        }
        if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
          return fail(
            `event time must be a finite number (epoch ms), got ${JSON.stringify(timestamp)}`,
            origin,
          );
        }
      }
      if (input !== undefined && spec.key) {
        let selected: unknown;
        try {
          selected = spec.key(value);
        } catch (error) {
          return fail(`key selector threw: ${errorMessage(error)}`, origin);
        }
        if (typeof selected !== 'string' && typeof selected !== 'number') {
          return fail(`key must be a string or a number, got ${JSON.stringify(selected)}`, origin);
        }
        key = String(selected);
      }
      if (spec.eventTime && this.watermarks.isLate(timestamp)) {
        this.options.metrics.late++;
        this.setOrigin(origin);
        try {
          this.emitRecord({ kind: 'side', tag: LATE_TAG }, key || null, timestamp, value);
        } catch (error) {
          fail(`late element: ${errorMessage(error)}`, origin);
        }
        return;
      }
      if (spec.eventTime && !this.options.externalWatermarks?.has(spec.name)) {
        this.watermarks.observe(spec.name, timestamp, now);
      }
      ready.push({ value, timestamp, key, offset: element.offset, input: input ?? -1, origin });
    });
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
        let reason = result.ok ? undefined : `enrichment "${operator.name}" ${result.reason}`;
        if (result.ok) {
          this.setOrigin(r.origin);
          try {
            this.emitRecord(MAIN_STREAM, r.key || null, r.timestamp, result.value);
          } catch (error) {
            reason = `enrichment "${operator.name}" returned ${errorMessage(error)}`;
          }
        }
        if (reason !== undefined) this.deadLetter(r.origin, source, r.offset, reason, r.value);
      },
    );
  }

  private async runElement(source: string, r: ReadyElement): Promise<void> {
    const operator = this.operator as KeyedOperator;
    this.currentKey = r.key;
    this.setOrigin(r.origin);
    const ctx = this.ctx;
    ctx.key = r.key;
    ctx.timestamp = r.timestamp;
    ctx.input = source;
    try {
      const done = operator.processElement(r.input, r.value, ctx);
      if (done) await done;
    } catch (error) {
      const reason = `operator "${operator.name}" threw: ${errorMessage(error)}`;
      this.deadLetter(r.origin, source, r.offset, reason, r.value);
    }
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
    const dueKeys = queue.dueKeys(time);
    if (dueKeys.length === 0) return;
    await this.prefetch(dueKeys);
    // One at a time from the queue: a timer deleted or registered again while an
    // earlier one fires is seen as it is now, so each (key, timestamp) fires once.
    // A timer registered while firing belongs to a key being fired, so it is loaded.
    for (let timer = queue.pollDue(time); timer; timer = queue.pollDue(time)) {
      await this.fireTimer(domain, timer);
    }
  }

  private async fireTimer(domain: TimeDomain, timer: Timer): Promise<void> {
    const operator = this.operator;
    if (!operator) return;
    this.options.metrics.timersFired++;
    this.currentKey = timer.key;
    // Timer outputs are named after the timer, so their ids do not depend on batching.
    const origin = `${domain}-timer@${timer.timestamp}:${timer.key}`;
    this.setOrigin(origin);
    const ctx = this.ctx;
    ctx.key = timer.key;
    ctx.timestamp = timer.timestamp;
    ctx.input = '';
    ctx.timeDomain = domain;
    try {
      const done = operator.onTimer(timer.timestamp, ctx);
      if (done) await done;
    } catch (error) {
      const reason = `operator "${operator.name}" threw in onTimer: ${errorMessage(error)}`;
      this.deadLetter(origin, `${domain}-timer`, -1, reason, {
        key: timer.key,
        timestamp: timer.timestamp,
      });
    }
  }

  private setOrigin(origin: string): void {
    this.outputIdPrefix = `${this.options.job.name}/${this.id}/${origin}`;
    this.outputSeq = 0;
  }

  private emitRecord(
    stream: OutputStream,
    key: string | null,
    timestamp: number,
    value: unknown,
    extraHeaders?: Record<string, string>,
  ): void {
    // Encoded here, not in the sink: a value JSON cannot hold fails the call that
    // emitted it (and becomes a dead letter) instead of failing the job at every replay.
    let encoded: string | undefined;
    try {
      encoded = JSON.stringify(value);
    } catch (error) {
      throw new UsageError(`output is not JSON: ${errorMessage(error)}`);
    }
    if (encoded === undefined) throw new UsageError(`output ${String(value)} is not JSON`);
    const metrics = this.options.metrics;
    if (stream.kind === 'main') metrics.mainOut++;
    else if (stream.kind === 'side') metrics.countSide(stream.tag);
    const id = `${this.outputIdPrefix}#${this.outputSeq++}`;
    this.options.emit({
      stream,
      record: { key, value, encoded, timestamp, headers: { [HEADER_ID]: id, ...extraHeaders } },
    });
  }

  private deadLetter(
    origin: string,
    source: string,
    offset: number,
    reason: string,
    value: unknown,
  ): void {
    this.options.metrics.deadLetters++;
    const letter: DeadLetter = { reason, source, partition: this.id, offset, value };
    const [prefix, seq] = [this.outputIdPrefix, this.outputSeq];
    this.setOrigin(`${origin}/dead-letter`);
    this.emitRecord(DEAD_LETTER_STREAM, null, this.options.clock.now(), letter, {
      [HEADER_REASON]: reason,
      [HEADER_SOURCE]: source,
      [HEADER_PARTITION]: this.id,
      [HEADER_OFFSET]: String(offset),
    });
    [this.outputIdPrefix, this.outputSeq] = [prefix, seq];
  }
}

import type { JobSpec } from '../job/job-spec';
import type { Timer, TimeDomain } from '../time/timer-service';
import type { CallFailure } from './call-failure';
import { isPromise, type CallJournal, type FailedCall } from './call-journal';
import type { ReadyElement } from './element-ingest';
import type { JournaledStateCache } from './journaled-state-cache';
import type { KeyedContextImpl } from './keyed-context';
import { createKeyedOperator, type KeyedOperator } from './keyed-operator';
import type { JobMetrics } from './metrics';
import type { StageExecutor } from './stage-executor';
import type { FailedRecord } from './task-failures';
import type { FusedStages, FusedTimerTarget } from './fused-stages';

/** What the keyed executor uses of its task. */
export interface KeyedExecutorHost {
  readonly taskId: string;
  readonly metrics: JobMetrics;
  /** Makes each call all or nothing. */
  readonly journal: CallJournal;
  /** Attempts per call: 1 + the error policy's retries. */
  readonly attempts: number;
  /** Per source: the stream the operator reads it as (the source, or its chain's output). */
  readonly inputStreams: ReadonlyMap<string, string>;
  /** Names the outputs of the call about to run (output ids). */
  setOrigin(origin: string | (() => string)): void;
  /** Loads the state of keys in one round trip. */
  prefetch(keys: Iterable<string>): Promise<void>;
  /** A call threw on every attempt. */
  failed(failure: CallFailure, origin: string, record: FailedRecord): void;
}

/**
 * The keyed operator (process, co-process or union): the state of a batch's keys is
 * read in one round trip, then each element, and each due timer, is one call for its
 * key, all or nothing, retried per the error policy.
 */
export class KeyedExecutor implements StageExecutor {
  private constructor(
    private readonly operator: KeyedOperator,
    /** Re-pointed at the key, time and input of each call. */
    private readonly ctx: KeyedContextImpl,
    private readonly host: KeyedExecutorHost,
  ) {}

  /** Instantiates the job's function, which declares its state in `open()`. */
  static async open(
    job: JobSpec,
    cache: JournaledStateCache,
    ctx: KeyedContextImpl,
    host: KeyedExecutorHost,
    /** The keyed stages fused after the operator, run in its calls. */
    fused?: FusedStages,
  ): Promise<KeyedExecutor> {
    const operator = await createKeyedOperator(job, host.taskId, cache, () => ctx.key);
    return new KeyedExecutor(fused ? fused.wrap(operator) : operator, ctx, host);
  }

  async run(source: string, ready: readonly ReadyElement[]): Promise<void> {
    await this.host.prefetch(ready.map((r) => r.key));
    const input = this.host.inputStreams.get(source) ?? source;
    for (const r of ready) {
      const pending = this.runElement(source, input, r);
      if (pending) await pending;
    }
  }

  /** Synchronous unless the operator returned a promise. */
  fireTimer(domain: TimeDomain, timer: Timer): void | Promise<void> {
    const { operator, ctx } = this;
    return this.fireAt(ctx, '', () => operator.onTimer(timer.timestamp, ctx), domain, timer);
  }

  /** A timer of a keyed stage fused after the operator; synchronous unless it returned a promise. */
  fireFusedTimer(target: FusedTimerTarget, domain: TimeDomain, timer: Timer): void | Promise<void> {
    const call = () => target.onTimer(timer.timestamp);
    return this.fireAt(target.ctx, target.originPrefix, call, domain, timer);
  }

  private fireAt(
    ctx: KeyedContextImpl,
    originPrefix: string,
    call: () => void | Promise<void>,
    domain: TimeDomain,
    timer: Timer,
  ): void | Promise<void> {
    const { host } = this;
    host.metrics.timersFired++;
    ctx.key = timer.key;
    ctx.timestamp = timer.timestamp;
    ctx.input = '';
    ctx.timeDomain = domain;
    // Timer outputs are named after the timer, so their ids do not depend on batching.
    // (built only when the timer emits or fails: most timers of a join only clean up)
    const origin = () => `${originPrefix}${domain}-timer@${timer.timestamp}:${timer.key}`;
    const failed = host.journal.run(host.attempts, () => host.setOrigin(origin), call);
    if (isPromise<FailedCall | undefined>(failed)) {
      return failed.then((f) => this.timerFailed(domain, timer, origin, f));
    }
    this.timerFailed(domain, timer, origin, failed);
  }

  /** Synchronous unless the operator returned a promise. */
  private runElement(source: string, input: string, r: ReadyElement): void | Promise<void> {
    const { operator, ctx, host } = this;
    ctx.key = r.key;
    ctx.timestamp = r.timestamp;
    ctx.input = input;
    const failed = host.journal.run(
      host.attempts,
      () => host.setOrigin(r.origin),
      () => operator.processElement(r.input, r.value, ctx),
    );
    if (isPromise<FailedCall | undefined>(failed)) {
      return failed.then((f) => this.elementFailed(source, r, f));
    }
    this.elementFailed(source, r, failed);
  }

  private elementFailed(source: string, r: ReadyElement, failed: FailedCall | undefined): void {
    if (!failed) return;
    this.host.failed({ label: this.label, ...failed }, r.origin, {
      source,
      offset: r.offset,
      value: r.value,
    });
  }

  private timerFailed(
    domain: TimeDomain,
    timer: Timer,
    origin: () => string,
    failed: FailedCall | undefined,
  ): void {
    if (failed) {
      const failure = { label: this.label, where: ' in onTimer', ...failed };
      this.host.failed(failure, origin(), {
        source: `${domain}-timer`,
        offset: -1,
        value: { key: timer.key, timestamp: timer.timestamp },
        position: `${domain}-time timer ${timer.timestamp} of key ${JSON.stringify(timer.key)} in task ${this.host.taskId}`,
      });
    }
  }

  private get label(): string {
    return this.operator.failedLabel?.() ?? `operator "${this.operator.name}"`;
  }
}

import type { RunningLookups } from '../async/lookup-refresher';
import { fusedStagesOf } from '../job/chain-plan';
import type { JobSpec, KeyedStageSpec } from '../job/job-spec';
import type { KeyedStateCache } from '../state/keyed-state-cache';
import type { TimeDomain, Timer, TimerService } from '../time/timer-service';
import { isPromise } from './call-journal';
import { KeyedContextImpl } from './keyed-context';
import { createStageOperator, type KeyedOperator } from './keyed-operator';
import type { OutputStream } from './output-stream';
import type { SourcePlan } from './source-plan';
import { openOutputPlan } from './source-steps';
import type { FusedTimers } from './timer-firing';

/*
 * Keyed stages fused into a task (`KeyedStageSpec.sameKey`)
 * =========================================================
 *
 * A keyed stage that reads its input under the key it was emitted with needs no
 * repartition: every element the stage before it emits for key k belongs to key k, and
 * key k lives in this task. So the stage runs here, right after the stage before it:
 *
 *   - One call. An input element (or a timer) is one call of the task's operator; what
 *     the operator emits to its main output goes through the chain stages between (and
 *     to the sinks that copy their streams) into the first fused stage, under
 *     the same key and event time, within the same call; its main output into the next
 *     fused stage, and so on; the last one's main output is the task's. The journal
 *     makes the whole call all or nothing (state of every stage, timers, outputs), and a
 *     failure retries or dead-letters the input once, naming the stage that threw.
 *   - One checkpoint. The fused stages' state (named `<stage id>.<state>`) is in the
 *     task's state cache and its timers are saved in the task's checkpoint (`stageTimers`),
 *     so the task's one atomic commit covers every stage. The argument of §4 holds as it
 *     is: a crash before the commit replays the input from the previous checkpoint,
 *     where every stage's state, timers and watermark were; nothing crosses a process
 *     boundary between the stages, so no epoch protocol is needed.
 *   - Watermarks in order. A fused stage's watermark is the task's, moved only once the
 *     stage before it fired the timers the move made due: what those timers emit
 *     reaches the fused stage while its own watermark is still behind them, as it would
 *     behind a repartition, and its own timers then fire at the new watermark.
 *   - Ids. Outputs of a fused stage are named after the task's input, like the
 *     operator's (`<job>/<task>/<origin>#<seq>`, one sequence per call); its timers'
 *     outputs after the timer, `<stage id>:<domain>-timer@<ts>:<key>`.
 */

/** An element a stage emitted during the current call, waiting for the next stage. */
interface Pending {
  readonly key: string;
  readonly timestamp: number;
  readonly value: unknown;
}

/** Where fused stages send what they emit beyond themselves. */
export interface FusedStagesHost {
  readonly jobName: string;
  readonly taskId: string;
  emit(stream: OutputStream, key: string, timestamp: number, value: unknown): void;
  /** Names what `emit` makes after `origin` (a window's outputs). */
  named(origin: string, emit: () => void): void;
  countLate(): void;
  currentProcessingTime(): number;
  onTimerChange(undo: () => void): void;
}

/** How a fused stage's timer is fired: its context, its function, and its outputs' origin. */
export interface FusedTimerTarget {
  readonly ctx: KeyedContextImpl;
  readonly originPrefix: string;
  onTimer(timestamp: number): void | Promise<void>;
}

/** One fused stage: its function, context, timers, watermark, and the steps before it. */
class FusedStage {
  /** The task's watermark once the stages before this one fired what it made due. */
  watermark: number;
  readonly pending: Pending[] = [];
  operator!: KeyedOperator;
  readonly ctx: KeyedContextImpl;

  constructor(
    readonly spec: KeyedStageSpec,
    readonly timers: TimerService,
    /** The chain stages between the stage before it and this one, and the copies to sinks. */
    readonly plan: SourcePlan | undefined,
    watermark: number,
    host: FusedStagesHost,
    emit: (stream: OutputStream, key: string, timestamp: number, value: unknown) => void,
  ) {
    this.watermark = watermark;
    this.ctx = new KeyedContextImpl({
      timers,
      currentWatermark: () => this.watermark,
      currentProcessingTime: () => host.currentProcessingTime(),
      emitKeyed: emit,
      named: (origin, run) => host.named(origin, run),
      countLate: () => host.countLate(),
      onTimerChange: (undo) => host.onTimerChange(undo),
    });
    this.ctx.input = spec.input;
  }
}

/** The keyed stages fused after a task's operator, run in its calls (see the comment above). */
export class FusedStages {
  private readonly stages: FusedStage[] = [];
  /** The fused stage running now, named when the call fails; none while the operator runs. */
  private running: FusedStage | undefined;

  private constructor(private readonly host: FusedStagesHost) {}

  /**
   * Opens the job's fused stages (its `keyedStages` up to the first one keyed anew),
   * undefined when it has none. `timers` holds each stage's timer service, by stage id,
   * already restored; the stages' watermarks start at `watermark`.
   */
  static async open(
    job: JobSpec,
    cache: KeyedStateCache,
    timers: ReadonlyMap<string, TimerService>,
    watermark: number,
    lookups: RunningLookups,
    host: FusedStagesHost,
  ): Promise<FusedStages | undefined> {
    const specs = fusedStagesOf(job);
    if (specs.length === 0) return undefined;
    const fused = new FusedStages(host);
    let before = job.operator?.output;
    for (const [i, spec] of specs.entries()) {
      const last = i === specs.length - 1;
      const side = (stream: OutputStream): OutputStream =>
        stream.kind === 'side' ? { ...stream, stage: spec.id } : stream;
      const emit = last
        ? (stream: OutputStream, key: string, ts: number, value: unknown) =>
            host.emit(side(stream), key, ts, value)
        : (stream: OutputStream, key: string, ts: number, value: unknown) =>
            stream.kind === 'main'
              ? fused.accept(i + 1, key, ts, value)
              : host.emit(side(stream), key, ts, value);
      const stage = new FusedStage(
        spec,
        timers.get(spec.id) ?? missing(spec),
        await openOutputPlan(job, before, lookups),
        watermark,
        host,
        emit,
      );
      stage.operator = await createStageOperator(
        spec,
        job.name,
        host.taskId,
        cache,
        () => stage.ctx.key,
      );
      fused.stages.push(stage);
      before = spec.output;
    }
    return fused;
  }

  /** The operator's calls, each followed by the fused stages over what it emitted. */
  wrap(operator: KeyedOperator): KeyedOperator {
    return {
      name: operator.name,
      processElement: (input, value, ctx) => {
        this.startCall(undefined);
        return this.drainAfter(operator.processElement(input, value, ctx), 0);
      },
      onTimer: (timestamp, ctx) => {
        this.startCall(undefined);
        return this.drainAfter(operator.onTimer(timestamp, ctx), 0);
      },
      failedLabel: () => this.running && `keyed stage "${this.running.spec.id}"`,
    };
  }

  /** What the operator emits to its main output: into the first fused stage. */
  fromOperator(stream: OutputStream, key: string, timestamp: number, value: unknown): void {
    if (stream.kind === 'main') this.accept(0, key, timestamp, value);
    else this.host.emit(stream, key, timestamp, value);
  }

  /** The fused stages' timers, in stage order, for the task's timer firing; `fire` fires one. */
  timerStages(
    fire: (target: FusedTimerTarget, domain: TimeDomain, timer: Timer) => void | Promise<void>,
  ): FusedTimers[] {
    return this.stages.map((stage, i) => {
      const target: FusedTimerTarget = {
        ctx: stage.ctx,
        originPrefix: `${stage.spec.id}:`,
        onTimer: (timestamp) => {
          this.startCall(stage);
          return this.drainAfter(stage.operator.onTimer(timestamp, stage.ctx), i + 1);
        },
      };
      return {
        timers: stage.timers,
        advanceTo: (watermark) => {
          if (watermark <= stage.watermark) return false;
          stage.watermark = watermark;
          return true;
        },
        fire: (domain, timer) => fire(target, domain, timer),
      };
    });
  }

  /** A value emitted toward stage `i`: through the steps before it, copied, then pending. */
  private accept(i: number, key: string, timestamp: number, value: unknown): void {
    const stage = this.stages[i];
    if (stage.plan === undefined) {
      stage.pending.push({ key, timestamp, value });
      return;
    }
    const { main, copies } = stage.plan.run(value);
    for (const v of main) stage.pending.push({ key, timestamp, value: v });
    for (const copy of copies) {
      this.host.emit({ kind: 'stream', name: copy.stream }, key, timestamp, copy.value);
    }
  }

  /** A new call: what a failed attempt left pending is dropped (the journal undid the rest). */
  private startCall(stage: FusedStage | undefined): void {
    for (const s of this.stages) s.pending.length = 0;
    this.running = stage;
  }

  private drainAfter(call: void | Promise<void>, from: number): void | Promise<void> {
    return isPromise<void>(call) ? call.then(() => this.drain(from, 0)) : this.drain(from, 0);
  }

  /** Runs stage `i` over what is pending for it (from index `j`), then the stages after it. */
  private drain(i: number, j: number): void | Promise<void> {
    for (; i < this.stages.length; i++, j = 0) {
      const stage = this.stages[i];
      const { pending, ctx } = stage;
      this.running = stage;
      for (; j < pending.length; j++) {
        const { key, timestamp, value } = pending[j];
        ctx.key = key;
        ctx.timestamp = timestamp;
        const call = stage.operator.processElement(0, value, ctx);
        if (isPromise<void>(call)) {
          const [si, next] = [i, j + 1];
          return call.then(() => this.drain(si, next));
        }
      }
      pending.length = 0;
    }
  }
}

function missing(spec: KeyedStageSpec): never {
  throw new Error(`fused keyed stage "${spec.id}" has no timer service`);
}

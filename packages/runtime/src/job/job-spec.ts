/* eslint-disable @typescript-eslint/no-explicit-any -- a spec holds user functions of any element type; they are typed where users write them */
import type { WindowFunction, WindowSpec } from '../window/window-spec';
import type { AsyncLimits } from '../async/async-caller';
import type { LookupSpec } from '../async/lookup-refresher';
import type { KeyedCoProcessFunction, KeyedProcessFunction } from './process-function';
import type { ViewSpec } from '../view/view-spec';

/** Returns a reason when the value is not a valid element, undefined when it is. */
export type Validator = (value: unknown) => string | undefined;

/** A stateless step applied to each element of a source, before keying. */
export type Step =
  | { readonly kind: 'filter'; readonly name?: string; readonly fn: (value: any) => boolean }
  | { readonly kind: 'map'; readonly name?: string; readonly fn: (value: any) => unknown }
  | {
      readonly kind: 'flatMap';
      readonly name?: string;
      readonly fn: (value: any) => Iterable<unknown>;
    };

/**
 * A stateless stage: the steps of one class instance (its filter, map and flatMap
 * methods, in their declared order), applied to each element of its input stream.
 * Chained into the task that reads the input: no state, no repartition.
 */
export interface ChainStageSpec {
  readonly kind: 'chain';
  /** Stable id (names the steps in errors and dead letters); unique in the job. */
  readonly id: string;
  /** A source, the operator's `output`, or the output of another chain stage. */
  readonly input: string;
  /**
   * The stream this stage writes: read by another chain stage or the operator; the
   * last stage of a chain after the operator (or of a job without one) feeds the main
   * output.
   */
  readonly output: string;
  /**
   * A step of this stage that throws (on every attempt) dead-letters the element for
   * this stage's branch alone, named after its output stream, and the stages beside it
   * at a fork still get the element: a router's routes. By default a throw dead-letters
   * the whole element, and no branch gets it.
   */
  readonly ownFailures?: true;
  /**
   * Called once per task (and once by the re-keying stage), on a fresh instance of the
   * stage's class: its steps, alone or with the lookup tables (side inputs) they read.
   * The tables load before the stage's first element, retried until each first load
   * succeeds; they reload on their intervals (a failed reload keeps the previous
   * table) until the task closes.
   */
  readonly create: () => ChainStageParts | Promise<ChainStageParts>;
}

/** What a chain stage's `create` gives: its steps, or its steps with what they need. */
export type ChainStageParts =
  | readonly Step[]
  | {
      readonly steps: readonly Step[];
      readonly lookups?: readonly LookupSpec[];
      /**
       * Called with every valid value of each input batch of the source, before its
       * elements go through the steps (one by one): to do for the batch at once what the
       * steps then look up per element (a script run in a sandbox, one call per batch).
       * It sees the source's values, before any step of the chain.
       */
      readonly beforeBatch?: (values: readonly unknown[]) => void | Promise<void>;
      /** Called when the task (or re-keying stage) that made the stage closes: release what it holds. */
      readonly close?: () => void;
    };

/**
 * A keyed stage: it reads the stream the operator writes (its `output`, or the end of
 * the chain of stages after it), or the stream the keyed stage before it writes.
 *
 * Keyed anew by `key`, it is behind a repartition: its tasks are its own (ids
 * `<stage id>/<n>`), fed through `<job>.<id>.repartition` on Kafka and through the
 * embedded log otherwise, and apply only what their upstream tasks committed (see
 * `task/epoch-gate.ts`).
 *
 * With `sameKey: true` instead, it reads each element under the key it was emitted
 * with (Kafka Streams' `groupByKey`, Flink's `reinterpretAsKeyedStream`): it runs in
 * the tasks of the stage before it, called right after it in the same call, with no
 * repartition, its state (named `<stage id>.<state>`) and timers committed in that
 * task's checkpoints (see `task/fused-stages.ts`).
 */
export interface KeyedStageSpec extends KeyedFunctionSpec {
  readonly kind: 'process';
  /** Stable id: names the stage's tasks, state, output ids and repartition topic. */
  readonly id: string;
  /**
   * The stream it reads: the operator's output stream, or the previous keyed stage's
   * `output`, or the end of the chain stages that read either.
   */
  readonly input: string;
  /**
   * The stream it writes, when another keyed stage or a chain stage reads it. Chain
   * stages after it run in its tasks; what the last keyed stage (or the chain after it)
   * emits is the main output.
   */
  readonly output?: string;
  /** The key of each element it reads; exactly one of `key` and `sameKey`. */
  readonly key?: (value: any) => string | number;
  /** Reads each element under the key it was emitted with: fused, no repartition. */
  readonly sameKey?: true;
  /**
   * Sink per side-output tag of this stage (its `late` included). A tag it does not
   * route goes where the operator's does (`outputs.sideOutputs`).
   */
  readonly sideOutputs?: Readonly<Record<string, string>>;
}

/**
 * The function of a one-input keyed operator or stage: a keyed process function, or,
 * with `window`, a window function (an aggregate or a full-window function) the
 * runtime runs over the windows of its key (`window/window-operator.ts`). One type for
 * both, so a spec spread into another with a new `create` stays a spec; the function is
 * checked against `window` when the task opens.
 */
export interface KeyedFunctionSpec {
  readonly window?: WindowSpec;
  readonly create: () =>
    | KeyedProcessFunction<any, any>
    | WindowFunction<any, any>
    | Promise<KeyedProcessFunction<any, any> | WindowFunction<any, any>>;
}

export interface EventTimeSpec<T = any> {
  /** Event time of an element, epoch ms. */
  readonly timestamp: (value: T) => number;
  /** Bounded out-of-orderness of this input, ms. */
  readonly maxOutOfOrdernessMs: number;
  /** Processing-time ms without elements after which the input stops holding the watermark. */
  readonly idleTimeoutMs?: number;
  /**
   * How far an event time may be ahead of processing time, ms (default
   * {@link DEFAULT_MAX_FUTURE_MS}). A record further ahead goes to the dead letters: it
   * would drag the watermark forward and make every on-time record after it late.
   */
  readonly maxFutureMs?: number;
}

export interface SourceSpec<T = any> {
  /** The source's name; also the default topic/file binding. */
  readonly name: string;
  /** Checks decoded records; failures go to the dead-letter output with the reason. */
  readonly validate?: Validator;
  /**
   * Whether a record that is too large, not JSON, null or invalid goes to the dead
   * letters (default true). False where another job reading the same topic reports it
   * (a router's isolated routes): this job then skips it, and it is written once.
   */
  readonly deadLetterRejected?: boolean;
  readonly steps?: readonly Step[];
  /** Required for keyed operators; without it the source has no event time (no lateness). */
  readonly eventTime?: EventTimeSpec<T>;
  /** The key of an element, for the keyed operator. */
  readonly key?: (value: T) => string | number;
  /**
   * The source's partitions are already split by this key. When false (the default)
   * and the job runs on Kafka, elements go through a repartition topic first so one
   * key is only ever processed by one task.
   */
  readonly partitionedByKey?: boolean;
  /**
   * Records whose value is larger than this, in bytes as read, go to the dead letters
   * without being decoded (default {@link DEFAULT_MAX_RECORD_BYTES}).
   */
  readonly maxRecordBytes?: number;
}

/** Calls an external service per element, under limits (pattern 3, the enricher). */
export interface AsyncEnrichFunction<IN, OUT> {
  enrich(value: IN, signal: AbortSignal): Promise<OUT>;
  /** Side inputs loaded before the first element and refreshed on their intervals. */
  readonly lookups?: readonly LookupSpec[];
}

/**
 * What every operator may say about its main output: the stream it writes, when chain
 * stages read it before the main output's sink (the operator's `map(lookup)` after
 * `map(service)`). Without it the main output goes to the sink as emitted.
 */
interface OperatorOutput {
  readonly output?: string;
  /**
   * Elements at or below the watermark reach the function like any other, instead of
   * the `late` side output: for a function whose result does not depend on arrival
   * order (a view folded last-writer-wins). Windows judge lateness themselves.
   */
  readonly processLate?: true;
}

export type OperatorSpec = OperatorOutput &
  (
    | ({
        readonly kind: 'process';
        readonly name: string;
        readonly input: string;
      } & KeyedFunctionSpec)
    | {
        readonly kind: 'coProcess';
        readonly name: string;
        readonly inputs: readonly [string, string];
        readonly create: () =>
          KeyedCoProcessFunction<any, any, any> | Promise<KeyedCoProcessFunction<any, any, any>>;
      }
    | {
        /**
         * A keyed function over two or more streams of one key: every element reaches
         * `processElement`, and `ctx.input` names the stream it came from. State and
         * timers are shared across the inputs, as in a co-process.
         */
        readonly kind: 'union';
        readonly name: string;
        readonly inputs: readonly string[];
        readonly create: () =>
          KeyedProcessFunction<any, any> | Promise<KeyedProcessFunction<any, any>>;
      }
    | {
        readonly kind: 'async';
        readonly name: string;
        readonly input: string;
        readonly limits: AsyncLimits;
        /** Emit in input order (default) or as calls complete. */
        readonly ordered?: boolean;
        readonly create: () =>
          AsyncEnrichFunction<any, any> | Promise<AsyncEnrichFunction<any, any>>;
      }
  );

export interface OutputSpec {
  /** Sink name of the main output. */
  readonly main?: string;
  /** Sink name per side-output tag (the built-in tag `late` included). */
  readonly sideOutputs?: Readonly<Record<string, string>>;
  /** Sink name for records that failed decoding, validation or a user function. */
  readonly deadLetters?: string;
  /**
   * Sink name per intermediate stream that should also be written out (fan-out): a
   * stream a keyed stage reads through a repartition goes to this sink as well.
   */
  readonly streams?: Readonly<Record<string, string>>;
}

/**
 * What happens when a user function throws: a step, a process or co-process handler,
 * a timer handler, or (after its own retries) an enrichment.
 */
export interface ErrorPolicy {
  /**
   * Calls the function again this many times (default 0). The state changes, timers and
   * outputs of a failed attempt are undone first. An enrichment retries per its limits
   * instead, so this must stay 0 with an async operator.
   */
  readonly retries?: number;
  /**
   * After the last failed attempt: `'dead-letter'` (default) sends the record to the
   * dead letters and goes on; `'fail'` fails the job with a `UserFunctionError`.
   */
  readonly then?: 'dead-letter' | 'fail';
}

/** A job as the runtime runs it: what generated code (or a hand-written main) builds. */
export interface JobSpec {
  readonly name: string;
  readonly sources: readonly SourceSpec[];
  /**
   * Stateless stages between the sources and the operator (or the main output). The
   * operator's inputs name streams: a source, or the output of a chain of stages.
   */
  readonly stages?: readonly ChainStageSpec[];
  /**
   * Without an operator the job is stateless: every element of its sources (after
   * their stages) goes to the main output.
   */
  readonly operator?: OperatorSpec;
  /**
   * Keyed stages after the operator, each across a repartition, in order: the first
   * reads the operator's output stream, each next one the `output` of the one before.
   * The last one's emissions go to the main output.
   */
  readonly keyedStages?: readonly KeyedStageSpec[];
  readonly outputs: OutputSpec;
  /** States published to a cache after every checkpoint (materialized views, see `view/task-views.ts`). */
  readonly views?: readonly ViewSpec[];
  /** Default: no retry, then dead-letter. */
  readonly onError?: ErrorPolicy;
}

/** Side-output tag of elements that arrived at or below the watermark. */
export const LATE_TAG = 'late';

/** Default {@link SourceSpec.maxRecordBytes}: 1 MiB, Kafka's default largest message. */
export const DEFAULT_MAX_RECORD_BYTES = 1_048_576;

/** Default {@link EventTimeSpec.maxFutureMs}: one day. */
export const DEFAULT_MAX_FUTURE_MS = 86_400_000;

import type { ScriptStageOptions } from '@stream-gen/annotations';

/** Where something is in the user's sources (1-based line and column). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Characters a code frame underlines from there (default 1). */
  readonly length?: number;
}

/** A type the generated code refers to by name, imported from the module that declares it. */
export interface TypeRef {
  /** The type as written in generated code, e.g. `Impression`. */
  readonly text: string;
  /** Absolute path of the module exporting it; undefined for built-in types. */
  readonly module?: string;
}

/** A pure key or event-time function, as text the emitter can copy. */
export interface SelectorCode {
  /** An arrow function with one parameter, e.g. `(i) => i.ts`. */
  readonly text: string;
  readonly location: SourceLocation;
}

export interface SourceNode {
  readonly name: string;
  readonly topic: string;
  readonly eventTime?: SelectorCode;
  /** True when `eventTime` is set, even if it was invalid (already reported). */
  readonly hasEventTime: boolean;
  readonly maxOutOfOrdernessMs: number;
  readonly idleTimeoutMs?: number;
  readonly partitionedByKey: boolean;
  readonly maxRecordBytes?: number;
  /** How far ahead of processing time an event time may be (with eventTime only). */
  readonly maxFutureMs?: number;
  /** Element type: `@Source<T>`'s, else the first parameter of the handler reading it. */
  readonly elementType?: TypeRef;
  /** Name of the generated validator of the element type. */
  readonly validatorName?: string;
  readonly location: SourceLocation;
}

export interface SinkNode {
  readonly name: string;
  readonly topic: string;
  /** `@Sink(name, { stream })`: the stream (one a keyed stage reads) this sink gets a copy of. */
  readonly stream?: string;
  /** Where `stream` is written. */
  readonly at?: { readonly stream?: SourceLocation };
  readonly location: SourceLocation;
}

export interface HandlerNode {
  readonly method: string;
  readonly source: string;
  readonly key?: SelectorCode;
  /** True when @KeyBy is present, even if it was invalid (already reported). */
  readonly hasKeyBy: boolean;
  /**
   * What the key selector gives for this input's elements, widened to `string`,
   * `number` or `number | string`; undefined when that is unknown.
   */
  readonly keyType?: string;
  /** For an @AsyncEnrich method: whether it takes the abort signal second. */
  readonly takesSignal?: boolean;
  readonly location: SourceLocation;
}

export type StateKind = 'value' | 'list' | 'map';

export interface StateNode {
  readonly property: string;
  readonly name: string;
  readonly kind: StateKind;
  readonly ttlMs?: number;
  /** `@State({ publish })`: the state is a view, published to a cache. */
  readonly publish?: PublishNode;
  readonly location: SourceLocation;
}

/** Where a published state goes (see `@State({ publish })`). */
export interface PublishNode {
  /** Default: `<Job>.<state>` (see `publishedStates`). */
  readonly prefix?: string;
  readonly ttlMs?: number;
  readonly location: SourceLocation;
}

export interface TimerNode {
  readonly method: string;
  readonly domain: 'event' | 'processing';
  readonly location: SourceLocation;
}

export interface AsyncLimitsNode {
  readonly concurrency: number;
  readonly rateLimit?: { readonly perSecond: number; readonly burst?: number };
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly ordered: boolean;
}

export interface LookupNode {
  readonly method: string;
  readonly refreshMs: number;
  readonly location: SourceLocation;
}

/** The windows of a `@Window` class (an operator or keyed stage of kind `process`). */
export interface WindowNode {
  readonly assigner:
    | { readonly kind: 'tumbling'; readonly sizeMs: number; readonly offsetMs: number }
    | {
        readonly kind: 'sliding';
        readonly sizeMs: number;
        readonly slideMs: number;
        readonly offsetMs: number;
      }
    | { readonly kind: 'session'; readonly gapMs: number };
  readonly time: 'event' | 'processing';
  readonly allowedLatenessMs: number;
}

export interface OperatorNode {
  readonly kind: 'process' | 'coProcess' | 'union' | 'async';
  /**
   * `@Window`: the class is a window function (an aggregate or a full-window function)
   * over these windows; its one handler is the synthetic one of its `key`.
   */
  readonly window?: WindowNode;
  /** Stream names in input order. */
  readonly inputs: readonly string[];
  readonly output?: string;
  readonly sideOutputs: Readonly<Record<string, string>>;
  /** `lateElements: 'process'`: late elements reach the handler instead of the `late` side output. */
  readonly processLate?: true;
  /** Where each option value is written, so a diagnostic underlines that value. */
  readonly at: {
    readonly inputs: readonly SourceLocation[];
    readonly output?: SourceLocation;
    readonly sideOutputs: Readonly<Record<string, SourceLocation>>;
  };
  /** A handler per input; a `@ProcessElement()` of a `@Union` is one per input, on one method. */
  readonly handlers: readonly HandlerNode[];
  readonly states: readonly StateNode[];
  readonly timers: readonly TimerNode[];
  /** For `async`: the limits of the @AsyncEnrich method (its handler is `handlers[0]`). */
  readonly limits?: AsyncLimitsNode;
  readonly lookups: readonly LookupNode[];
  readonly location: SourceLocation;
}

export interface StepNode {
  readonly kind: 'filter' | 'map' | 'flatMap';
  readonly method: string;
  readonly location: SourceLocation;
}

/** A `@Chain` stage class listed in `@StreamJob({ stages })`: stateless steps from one stream to another. */
export interface ChainStageNode {
  readonly id: string;
  readonly input: string;
  readonly output: string;
  readonly className: string;
  /** Absolute path of the module that declares the class. */
  readonly classModule: string;
  readonly steps: readonly StepNode[];
  /** Its `@LookupTable` loaders: tables its steps read, loaded per task before its first element. */
  readonly lookups: readonly LookupNode[];
  /** A `@ScriptStage`: its script, which is then its one step (`steps` is empty). */
  readonly script?: ScriptStageSettings;
  /** Where `id`, `input` and `output` are written in `@Chain` (or `@ScriptStage`). */
  readonly at: {
    readonly id: SourceLocation;
    readonly input: SourceLocation;
    readonly output: SourceLocation;
  };
  readonly location: SourceLocation;
}

/**
 * What a `@ScriptStage` says of its script (its options as written, checked: `file`
 * relative to the project directory or absolute), and the type its outputs must be.
 */
export interface ScriptStageSettings extends Omit<ScriptStageOptions, 'id' | 'input' | 'output'> {
  /** `Out` of the class's `ScriptFunction<In, Out>`, as written; undefined when it is missing (reported). */
  readonly outputType?: string;
  /** Name of the generated validator of `outputType` (set by the emitter). */
  readonly validatorName?: string;
  /** Where `file` is written. */
  readonly at: { readonly file?: SourceLocation };
}

/**
 * A `@KeyedProcess({ id })` class listed in `@StreamJob({ stages })`: a keyed function
 * after the operator or another keyed stage, behind a repartition
 * (`<job>.<id>.repartition`), or with `sameKey` fused with the stage before it. Its
 * class is read as the job's operator is.
 */
export interface KeyedStageNode {
  readonly id: string;
  /**
   * The stream it reads (the operator's output stream, or the keyed stage's before),
   * keyed anew by its handler's `@KeyBy`, or with `sameKey` under the key it was emitted with.
   */
  readonly input: string;
  /**
   * `@KeyedProcess({ sameKey: true })`: it reads each element under the key of the stage
   * that emitted it (the operator, or the keyed stage before it), in that stage's tasks,
   * with no repartition; its handler has no `@KeyBy` (see `keyOrigin`).
   */
  readonly sameKey?: true;
  /** The stream the next keyed stage reads; none on the last (it feeds the main output). */
  readonly output?: string;
  readonly className: string;
  /** Absolute path of the module that declares the class. */
  readonly classModule: string;
  /** Its `@KeyedProcess`, handlers, state and timers, as for the job's operator. */
  readonly process: OperatorNode;
  /** Where `id` and `sameKey` are written in `@KeyedProcess`. */
  readonly at: { readonly id: SourceLocation; readonly sameKey?: SourceLocation };
  readonly location: SourceLocation;
}

/** `@StreamJob({ onError })`: retries of a user function that threw, then what happens. */
export interface ErrorPolicyNode {
  readonly retries: number;
  readonly then: 'dead-letter' | 'fail';
  readonly location: SourceLocation;
}

/** One @StreamJob class, read from source: what the validator checks and the emitter writes. */
export interface JobGraph {
  readonly name: string;
  readonly className: string;
  /** Absolute path of the module that declares the class. */
  readonly classModule: string;
  readonly deadLetters?: string;
  /**
   * The sink of the main output when no operator names it (a job without an operator,
   * or one with keyed stages): `@StreamJob({ output })`, or the job's only sink besides
   * the dead letters and the side outputs.
   */
  readonly output?: string;
  /** Handlers, timers or state in a class without an operator (reported as SG1103 / SG1201). */
  readonly looseMembers?: boolean;
  /** Where `deadLetters` and `output` are written in `@StreamJob`. */
  readonly at: { readonly deadLetters?: SourceLocation; readonly output?: SourceLocation };
  readonly checkpointIntervalMs?: number;
  readonly onError?: ErrorPolicyNode;
  readonly sources: readonly SourceNode[];
  readonly sinks: readonly SinkNode[];
  /** Stateless stages, in the order `@StreamJob({ stages })` lists them. */
  readonly stages: readonly ChainStageNode[];
  readonly operator?: OperatorNode;
  /** Keyed stages, in the order `@StreamJob({ stages })` lists them. */
  readonly keyedStages: readonly KeyedStageNode[];
  readonly location: SourceLocation;
}

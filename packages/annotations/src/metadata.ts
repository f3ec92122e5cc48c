import type { Duration } from './duration';

/** A key or event-time selector: a pure arrow function, or a field path such as `'user.id'`. */
export type Selector<T, R> = ((element: T) => R) | string;

export interface StreamJobMetadata {
  readonly name: string;
  /** Sink for records that fail decoding, validation or a user function. */
  readonly deadLetters?: string;
  /**
   * The sink of the main output when no operator names it: in a job without an
   * operator, where its sources' elements go; in a job with keyed stages, where the
   * last one's emissions go. Optional when the job has one sink besides `deadLetters`,
   * the side outputs and the sinks that copy a stream (`@Sink(name, { stream })`).
   */
  readonly output?: string;
  /**
   * The job's stage classes, connected to its sources, operator and sinks by stream
   * names: `@Chain` (stateless) and `@KeyedProcess({ id })` (keyed, behind a repartition).
   */
  readonly stages?: readonly StageClass[];
  readonly checkpointInterval?: Duration;
  /** What happens when a handler, a timer or an enrichment throws. Default: no retry, dead letter. */
  readonly onError?: ErrorPolicyOptions;
}

/** A stage class, as `@StreamJob({ stages })` lists it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters are injected, of any type
export type StageClass = abstract new (...args: any[]) => object;

export interface ChainOptions {
  /**
   * Stable id: names the stage in errors and dead letters (and, for stages to come,
   * their state). Keep it when renaming the class.
   */
  readonly id: string;
  /**
   * The stream the stage reads: a source, the operator's output, another stage's output,
   * or a keyed stage's (the chain then runs in that keyed stage's tasks).
   */
  readonly input: string;
  /** The stream it writes: read by the next stage, the operator, or the job's output sink. */
  readonly output: string;
}

/** `@ScriptStage`: a stage whose function is a script's, configured at run time. */
export interface ScriptStageOptions {
  /** Stable id: names the stage in logs, errors and dead letters (`<id>.script`). */
  readonly id: string;
  /** The source the stage reads (its batches cross into the sandbox before any step runs). */
  readonly input: string;
  /** The stream it writes: read by the next stage, the operator, or the job's output sink. */
  readonly output: string;
  /**
   * The script's file, relative to the project directory (or absolute): JavaScript, or
   * TypeScript when it ends `.ts` (stripped of its types). Checked to compile at build
   * time. Exactly one of `file` and `redis`.
   */
  readonly file?: string;
  /** A Redis key whose value is the script's text (`REDIS_URL`); read and checked at start. */
  readonly redis?: string;
  /** The function of the script each element goes through (default `transform`). */
  readonly function?: string;
  /** Load a new version when the file or key changes, at a batch boundary (default false). */
  readonly dynamic?: boolean;
  /** Time limit of the script per element, ms (default 1000). */
  readonly timeoutMs?: number;
  /** Memory limit of the sandbox, MB (default 64). */
  readonly memoryMb?: number;
  /** A dynamic script looks for a new version at most this often, ms (default: a file at every batch, a key every 1000). */
  readonly pollMs?: number;
}

export type StepKind = 'filter' | 'map' | 'flatMap';

export interface StepMetadata {
  readonly method: string;
  readonly kind: StepKind;
}

/** The error policy of a job's user functions, e.g. `{ retries: 2, then: 'fail' }`. */
export interface ErrorPolicyOptions {
  /**
   * Calls a handler or timer that threw again, up to this many times (default 0); what
   * a failed attempt did to state, timers and outputs is undone first. An @AsyncEnrich
   * job retries per its own `retries` instead.
   */
  readonly retries?: number;
  /** After the last attempt: send the record to the dead letters (default), or fail the job. */
  readonly then?: 'dead-letter' | 'fail';
}

export interface SourceOptions<T = unknown> {
  /** Topic (Kafka) or embedded topic; defaults to the source name. */
  readonly topic?: string;
  /** Event time of an element, epoch ms. */
  readonly eventTime?: Selector<T, number>;
  readonly maxOutOfOrderness?: Duration;
  readonly idleTimeout?: Duration;
  /** The topic is already partitioned by the key the job uses: no repartition needed. */
  readonly partitionedByKey?: boolean;
  /** Records larger than this many bytes go to the dead letters, not decoded (default 1 MiB). */
  readonly maxRecordBytes?: number;
  /**
   * Event times further ahead of processing time than this go to the dead letters
   * (default `'1d'`): they would move the watermark and make on-time records late.
   */
  readonly maxFuture?: Duration;
}

export interface SourceMetadata extends SourceOptions {
  readonly name: string;
}

export interface SinkOptions {
  readonly topic?: string;
  /**
   * The sink gets a copy of this stream (fan-out): one a keyed stage reads, i.e. the
   * stream between the operator and the first keyed stage, or between two keyed stages.
   * Such a sink is neither the main output nor a side output's or the dead letters'.
   */
  readonly stream?: string;
}

export interface SinkMetadata extends SinkOptions {
  readonly name: string;
}

export interface OperatorOptions {
  /** Sink of the main output, or the stream the stages after the operator read. */
  readonly output?: string;
  /** Sink per side-output tag, e.g. `{ late: 'late' }`. */
  readonly sideOutputs?: Readonly<Record<string, string>>;
  /**
   * What becomes of an element at or below the watermark on arrival: `'sideOutput'`
   * (default) sends it to the `late` side output; `'process'` hands it to the handler
   * like any other (Flink's process functions), for a function whose result does not
   * depend on arrival order, such as a view folded last-writer-wins. Not on windows,
   * which judge lateness themselves (`allowedLateness`).
   */
  readonly lateElements?: 'sideOutput' | 'process';
}

export interface CoProcessOptions extends OperatorOptions {
  readonly inputs: readonly [string, string];
}

export interface UnionOptions extends OperatorOptions {
  /** Two or more different streams of one key: sources, or the outputs of chain stages. */
  readonly inputs: readonly string[];
}

export interface KeyedProcessOptions extends OperatorOptions {
  readonly input: string;
  /**
   * Makes the class a keyed stage behind a repartition (none with `sameKey`), listed in
   * `@StreamJob({ stages })`, rather than the job's operator: a stable id naming the
   * stage's tasks, state, output ids and repartition topic (`<job>.<id>.repartition`);
   * keep it when renaming the class. A stage's `input` is the stream the operator's main
   * output ends in, or the `output` of the keyed stage before it, or the end of the
   * `@Chain` stages that read either; its `output` is the stream the next keyed stage or
   * a chain stage reads. What the last one (or the chain after it) emits is the job's
   * main output (`@StreamJob({ output })`). A stage routes its own side outputs with
   * `sideOutputs`; a tag it does not route goes where the operator's goes. Dead letters
   * are the job's.
   */
  readonly id?: string;
  /**
   * Only on a keyed stage (a class with `id`): the stage reads its input under the key
   * of the stage that emitted it (the operator, or the keyed stage before it, through
   * any `@Chain` stages between), so it runs in that stage's tasks with no repartition
   * (Kafka Streams' `groupByKey`, Flink's `reinterpretAsKeyedStream`). Its handler then
   * has no `@KeyBy`. Not after an `@AsyncEnrich` operator, which has no key.
   */
  readonly sameKey?: true;
}

/**
 * A window stage: the class is a window function over the windows of each key of
 * `input`: an aggregate (`createAccumulator`, `add`, `merge`, `result`, Flink's
 * AggregateFunction) or a full-window function (`process(elements, window)`), typed by
 * `WindowAggregate` / `WindowProcess` of the runtime. Exactly one of `tumbling`,
 * `sliding` and `session`. Like `@KeyedProcess`, it is the job's operator, or with `id`
 * a stage listed in `@StreamJob({ stages })`.
 */
export interface WindowOptions<T = unknown> extends OperatorOptions {
  readonly input: string;
  /** The key of each element (a pure arrow function or a field path); a stage may say `sameKey` instead. */
  readonly key?: Selector<T, string | number>;
  /** See {@link KeyedProcessOptions.id}. */
  readonly id?: string;
  /** See {@link KeyedProcessOptions.sameKey}. */
  readonly sameKey?: true;
  /** Back-to-back windows of `size`, starting at multiples of it (shifted by `offset`). */
  readonly tumbling?: { readonly size: Duration; readonly offset?: Duration };
  /** Windows of `size` starting every `slide` (`slide ≤ size`). */
  readonly sliding?: {
    readonly size: Duration;
    readonly slide: Duration;
    readonly offset?: Duration;
  };
  /** One window per burst of a key's activity: elements closer than `gap` are in one session. */
  readonly session?: { readonly gap: Duration };
  /** Event time (default) or processing time. */
  readonly time?: 'event' | 'processing';
  /**
   * How long after it fired a window still takes elements (default 0): it then fires
   * again with the same output id, so consumers upsert. Later elements go to `late`.
   */
  readonly allowedLateness?: Duration;
}

export type OperatorMetadata =
  | ({ readonly kind: 'coProcess' } & CoProcessOptions)
  | ({ readonly kind: 'process' } & KeyedProcessOptions)
  | ({ readonly kind: 'union' } & UnionOptions)
  | ({ readonly kind: 'window' } & WindowOptions);

export interface HandlerMetadata {
  readonly method: string;
  /** The input it handles; absent for `@ProcessElement()`, the handler of every input of a `@Union`. */
  readonly source?: string;
  readonly key?: Selector<unknown, string | number>;
}

export interface StateOptions {
  /** State name; defaults to the property name. */
  readonly name?: string;
  readonly ttl?: Duration;
  /**
   * Publishes the state to a Redis cache, a materialized view: after every checkpoint,
   * the keys it changed are written to `<prefix>:<key>` (a hash: the JSON value in field
   * `value`, and the version, so an older publish never overwrites a newer one).
   */
  readonly publish?: PublishOptions;
}

/** Where and how a `@State` is published (see {@link StateOptions.publish}). */
export interface PublishOptions {
  /** Cache keys are `<prefix>:<state key>` (default: `<Job>.<state>`, so two jobs never share keys). */
  readonly prefix?: string;
  /** Time to live of each published key in the cache (default: none). */
  readonly ttl?: Duration;
}

export interface StateMetadata extends StateOptions {
  readonly property: string;
}

export type TimeDomain = 'event' | 'processing';

export interface TimerMetadata {
  readonly method: string;
  readonly domain: TimeDomain;
}

export interface AsyncEnrichOptions {
  /** The source whose elements the method enriches: `(element, signal) => Promise<Out>`. */
  readonly source: string;
  /** Sink of the enriched elements. */
  readonly output?: string;
  /** Calls in flight at most. */
  readonly concurrency: number;
  /** Token bucket: calls per second, with an optional burst. */
  readonly rateLimit?: { readonly perSecond: number; readonly burst?: number };
  readonly timeout?: Duration;
  readonly retries?: number;
  /** Wait before the first retry, doubled for each next one (default 100 ms). */
  readonly backoff?: Duration;
  /** Emit in input order (default) or as calls complete. */
  readonly ordered?: boolean;
}

export interface AsyncEnrichMetadata extends AsyncEnrichOptions {
  readonly method: string;
}

export interface LookupTableOptions {
  /** Reload interval. No element reaches the class until its first load succeeded. */
  readonly refresh: Duration;
}

export interface LookupTableMetadata extends LookupTableOptions {
  readonly method: string;
}

/** Everything the decorators recorded on one class. */
export interface JobClassMetadata {
  readonly job?: StreamJobMetadata;
  readonly sources: readonly SourceMetadata[];
  readonly sinks: readonly SinkMetadata[];
  /** The operator decorator; on a keyed stage class, its @KeyedProcess (with `id`). */
  readonly operator?: OperatorMetadata;
  readonly handlers: readonly HandlerMetadata[];
  readonly states: readonly StateMetadata[];
  readonly timers: readonly TimerMetadata[];
  readonly enrichers: readonly AsyncEnrichMetadata[];
  readonly lookups: readonly LookupTableMetadata[];
  /** On a @Chain class: its options and steps in declared order. */
  readonly chain?: ChainOptions & { readonly steps: readonly StepMetadata[] };
  /** On a @ScriptStage class: its options. */
  readonly scriptStage?: ScriptStageOptions;
}

import type { StateDescriptor } from '../state/state-descriptor';
import type { ListState, MapState, ValueState } from '../state/state-handles';
import type { TimeDomain } from '../time/timer-service';

/** Handed to `open()`: where a function declares its keyed state. */
export interface RuntimeContext {
  readonly jobName: string;
  readonly taskId: string;
  valueState<T>(name: string, options?: StateOptions): ValueState<T>;
  listState<T>(name: string, options?: StateOptions): ListState<T>;
  mapState<V>(name: string, options?: StateOptions): MapState<V>;
  /** Declares state from a descriptor (what generated code uses). */
  state(descriptor: StateDescriptor): ValueState<unknown> | ListState<unknown> | MapState<unknown>;
}

export interface StateOptions {
  /** Time to live in processing-time ms from the last write. */
  readonly ttlMs?: number;
}

export interface TimerRegistry {
  registerEventTimeTimer(timestamp: number): void;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
}

/** What a keyed function sees while it handles one element or one timer. */
export interface KeyedContext<OUT> {
  /** The key being processed; state and timers are scoped to it. */
  readonly key: string;
  /** Event time of the element, or the timer's timestamp. */
  readonly timestamp: number;
  readonly timers: TimerRegistry;
  currentWatermark(): number;
  currentProcessingTime(): number;
  /** Emits to the main output. */
  emit(value: OUT): void;
  /** Emits to a named side output (routed to a sink of the job, or counted and logged). */
  output(tag: string, value: unknown): void;
}

export interface ElementContext<OUT> extends KeyedContext<OUT> {
  /** The input stream the element came from: a source, or the output of a chain of stages. */
  readonly input: string;
}

export interface TimerContext<OUT> extends KeyedContext<OUT> {
  readonly timeDomain: TimeDomain;
}

type MaybePromise = void | Promise<void>;

/** A keyed function over one input (Flink's KeyedProcessFunction). */
export interface KeyedProcessFunction<IN, OUT> {
  open?(ctx: RuntimeContext): MaybePromise;
  processElement(value: IN, ctx: ElementContext<OUT>): MaybePromise;
  onTimer?(timestamp: number, ctx: TimerContext<OUT>): MaybePromise;
}

/** A keyed function over two co-partitioned inputs sharing key, state and timers. */
export interface KeyedCoProcessFunction<IN1, IN2, OUT> {
  open?(ctx: RuntimeContext): MaybePromise;
  processElement1(value: IN1, ctx: ElementContext<OUT>): MaybePromise;
  processElement2(value: IN2, ctx: ElementContext<OUT>): MaybePromise;
  onTimer?(timestamp: number, ctx: TimerContext<OUT>): MaybePromise;
}

/**
 * Windows: how a window stage splits each key's elements into windows of time, and the
 * function that turns a window's elements into its output (DESIGN.md §10).
 */

/** Fixed windows, back to back: `[start, start + size)`, starts at `offset + n·size`. */
export interface TumblingWindows {
  readonly kind: 'tumbling';
  readonly sizeMs: number;
  /** Shifts the starts (e.g. hours starting at :15); default 0, within `[0, size)`. */
  readonly offsetMs?: number;
}

/** Overlapping windows of `size` starting every `slide` (at `offset + n·slide`): an element is in `size / slide` of them. */
export interface SlidingWindows {
  readonly kind: 'sliding';
  readonly sizeMs: number;
  readonly slideMs: number;
  readonly offsetMs?: number;
}

/**
 * One window per burst of activity of a key: an element opens `[ts, ts + gap)`, and
 * windows that overlap merge into one (Flink's MergingWindowSet). Two elements closer
 * than the gap are in one session; exactly a gap apart, in two.
 */
export interface SessionWindows {
  readonly kind: 'session';
  readonly gapMs: number;
}

export type WindowAssigner = TumblingWindows | SlidingWindows | SessionWindows;

export interface WindowSpec {
  readonly assigner: WindowAssigner;
  /**
   * `event` (default): windows of the elements' event time, fired by the watermark;
   * `processing`: of the time the element is processed, fired by the clock (no lateness).
   */
  readonly time?: 'event' | 'processing';
  /**
   * How long after a window fired an element of it is still added (default 0): the
   * window then fires again, with the same output id, so a consumer upserts. Beyond it
   * the element goes to the `late` side output. The window's state is cleared at
   * `end - 1 + allowedLateness`.
   */
  readonly allowedLatenessMs?: number;
}

/** The window an output is for: `[start, end)` of `key`. */
export interface WindowBounds {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Incremental aggregation (Flink's AggregateFunction): a window holds one accumulator,
 * not its elements. Accumulators are kept as JSON, so they must be JSON values.
 */
export interface WindowAggregate<IN, ACC, OUT> {
  createAccumulator(): ACC;
  /** Adds an element; may change `accumulator` in place and return it. */
  add(value: IN, accumulator: ACC): ACC;
  /** Combines two windows' accumulators when session windows merge (required for sessions). */
  merge?(a: ACC, b: ACC): ACC;
  /** The window's output when it fires; `undefined` (or `null`) emits nothing. */
  result(accumulator: ACC, window: WindowBounds): OUT | undefined;
}

/** A full-window function: gets every element of the window (kept in state until it fires). */
export interface WindowProcess<IN, OUT> {
  /** The window's outputs when it fires, in order. */
  process(elements: readonly IN[], window: WindowBounds): Iterable<OUT>;
}

export type WindowFunction<IN, OUT> = WindowAggregate<IN, any, OUT> | WindowProcess<IN, OUT>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the accumulator is the function's own

export function isWindowAggregate<IN, OUT>(
  fn: WindowFunction<IN, OUT>,
): fn is WindowAggregate<IN, unknown, OUT> {
  return typeof (fn as WindowAggregate<IN, unknown, OUT>).createAccumulator === 'function';
}

import type {
  ElementContext,
  KeyedContext,
  KeyedProcessFunction,
  RuntimeContext,
  TimerContext,
} from '../job/process-function';
import type { ListState, ValueState } from '../state/state-handles';
import { UsageError } from '../util/errors';
import { assignWindows, type TimeWindow } from './assign-windows';
import { windowSpecProblems } from './window-problems';
import { mergeSession } from './session-merge';
import {
  isWindowAggregate,
  type WindowBounds,
  type WindowFunction,
  type WindowProcess,
  type WindowSpec,
} from './window-spec';

/*
 * The window operator
 * ===================
 *
 * A window stage is a keyed function like any other (Flink's WindowOperator is a keyed
 * one-input operator too), so its state, timers, checkpoints, rewind and savepoints are
 * those of every keyed stage:
 *
 *   - State. Per key, the value `windows`: the key's windows (start, end, the
 *     accumulator of an aggregate, whether it fired), a few at a time; read once per
 *     call, changed on a copy and written once. A full-window function's elements are in
 *     the list `window-elements` as `[start, element]`, appended without copying.
 *   - Firing. A window registers a timer at `end - 1` (Flink's maxTimestamp) and fires
 *     when it is due; its output carries that event time, so the next stage never sees
 *     a first firing late. In processing time the timer is at `end`: at `end - 1` an
 *     element of that same millisecond could still arrive. Each output is named `window@<start>-<end>:<key>#<n>`, the same whenever
 *     the window fires, so a re-fire replaces what the first firing wrote.
 *   - Lateness. An element is added to each of its windows that is not past
 *     `end - 1 + allowedLateness` at the stage's watermark; a window already fired fires
 *     again at once. An element of no such window goes to the `late` side output.
 *   - Cleanup. A window's state is removed when it fires without allowed lateness, or by
 *     a timer at `end - 1 + allowedLateness`: state never outlives its window.
 *   - Timers of merged sessions are deleted unless another window of the key is due at
 *     that time. Every timer looks at all the key's windows, so what is due fires
 *     whichever of its timers fires, and a timer that finds nothing due does nothing.
 */

/** One window of a key, as the window operator keeps it (never changed in place). */
interface WindowEntry {
  readonly start: number;
  readonly end: number;
  /** An aggregate's accumulator. */
  readonly acc?: unknown;
  readonly fired?: true;
}

/** Emits a window's outputs under an origin of its own (the task's context does). */
export interface WindowOutputContext {
  emitWindow(origin: string, timestamp: number, values: Iterable<unknown>): void;
  /** An element of no window still open: to the `late` side output, counted as late. */
  emitLate(value: unknown): void;
}

function windowOutput(ctx: KeyedContext<unknown>): WindowOutputContext {
  const out = ctx as Partial<WindowOutputContext>;
  if (typeof out.emitWindow !== 'function')
    throw new UsageError(
      'a window function runs only in a stream-gen task, whose context names window outputs',
    );
  return out as WindowOutputContext;
}

/**
 * The keyed function of a window stage: `fn` (an aggregate or a full-window function)
 * over the windows of `spec`. `label` names the stage in errors; `originPrefix` starts
 * its output ids (`''` for the job's operator, `<stage id>:` for a keyed stage).
 */
export function windowOperator(
  spec: WindowSpec,
  fn: WindowFunction<unknown, unknown>,
  label: string,
  originPrefix: string,
): KeyedProcessFunction<unknown, unknown> {
  const [problem] = windowSpecProblems(spec);
  if (problem) throw new UsageError(`${label}: ${problem}`);
  const lateness = spec.allowedLatenessMs ?? 0;
  const processing = spec.time === 'processing';
  const aggregate = isWindowAggregate(fn) ? fn : undefined;
  const lacking = aggregate
    ? (['add', 'result'] as const).filter((m) => typeof aggregate[m] !== 'function')
    : typeof (fn as Partial<WindowProcess<unknown, unknown>>).process === 'function'
      ? []
      : ['createAccumulator, add and result (an aggregate)', 'or process (a full-window function)'];
  if (lacking.length > 0)
    throw new UsageError(`${label}: the window function lacks ${lacking.join(' ')}`);
  if (spec.assigner.kind === 'session' && aggregate && typeof aggregate.merge !== 'function')
    throw new UsageError(`${label}: session windows merge, so the aggregate needs merge(a, b)`);

  let windows: ValueState<readonly WindowEntry[]>;
  let elements: ListState<[number, unknown]>;

  /**
   * When a window fires: event time at `end - 1` (the watermark passing it means no
   * element of the window is still to come); processing time once the clock reaches
   * `end`, as at `end - 1` an element of that same millisecond could still arrive.
   */
  const fireTime = (w: { readonly end: number }) => (processing ? w.end : w.end - 1);

  const register = (ctx: KeyedContext<unknown>, ts: number) =>
    processing ? ctx.timers.registerProcessingTimeTimer(ts) : ctx.timers.registerEventTimeTimer(ts);

  const unregister = (ctx: KeyedContext<unknown>, ts: number) =>
    processing ? ctx.timers.deleteProcessingTimeTimer(ts) : ctx.timers.deleteEventTimeTimer(ts);

  const fire = (ctx: KeyedContext<unknown>, entry: WindowEntry) => {
    const { start, end } = entry;
    const bounds: WindowBounds = { key: ctx.key, start, end };
    let outputs: Iterable<unknown>;
    // copies: what the function does to them must not reach state past the journal
    if (aggregate) {
      const out = aggregate.result(copy(entry.acc), bounds);
      outputs = out === undefined || out === null ? [] : [notAwaitable(out, 'result')];
    } else {
      const mine = elements
        .get()
        .filter(([s]) => s === start)
        .map(([, v]) => copy(v));
      outputs = notAwaitable(
        (fn as WindowProcess<unknown, unknown>).process(mine, bounds),
        'process',
      );
    }
    const origin = `${originPrefix}window@${start}-${end}:${ctx.key}`;
    windowOutput(ctx).emitWindow(origin, end - 1, outputs);
  };

  /** A window function's result, refused when it is a promise: windows fire synchronously. */
  function notAwaitable<T>(value: T, method: string): T {
    if (typeof (value as { then?: unknown } | undefined)?.then === 'function')
      throw new UsageError(
        `${label}: ${method} returned a promise; window functions are synchronous`,
      );
    return value;
  }

  /** The key's windows for one call: read once, changed on a copy, written once. */
  const load = (): WindowEntry[] => [...(windows.value() ?? [])];
  const save = (list: readonly WindowEntry[]) =>
    list.length === 0 ? windows.clear() : windows.update(list);

  /** Adds `value` to the window (new or not), firing it at once when the watermark is past its end. */
  const addTo = (
    ctx: KeyedContext<unknown>,
    list: WindowEntry[],
    window: TimeWindow,
    value: unknown,
    watermark: number,
  ) => {
    const at = list.findIndex((w) => w.start === window.start);
    const before = at < 0 ? undefined : list[at];
    let acc: unknown;
    if (aggregate) {
      const current = before ? copy(before.acc) : aggregate.createAccumulator();
      acc = notAwaitable(aggregate.add(value, current), 'add');
    } else {
      elements.add([window.start, value]);
    }
    const due = !processing && window.end - 1 <= watermark;
    const entry: WindowEntry = {
      start: window.start,
      end: window.end,
      ...(aggregate ? { acc } : {}),
      // (a session that grew by a merge is a new entry, not fired: it fires at its new end)
      ...(due || before?.fired ? { fired: true as const } : {}),
    };
    if (at < 0) list.push(entry);
    else list[at] = entry;
    if (due) {
      fire(ctx, entry);
      register(ctx, window.end - 1 + lateness);
    } else if (!before) register(ctx, fireTime(window));
  };

  return {
    open(ctx: RuntimeContext) {
      windows = ctx.valueState<readonly WindowEntry[]>('windows');
      elements = ctx.listState<[number, unknown]>('window-elements');
    },

    processElement(value: unknown, ctx: ElementContext<unknown>) {
      const time = processing ? ctx.currentProcessingTime() : ctx.timestamp;
      const watermark = processing ? Number.NEGATIVE_INFINITY : ctx.currentWatermark();
      const late = (w: TimeWindow) => w.end - 1 + lateness <= watermark;
      let list = load();
      let added = false;
      for (const window of assignWindows(spec.assigner, time)) {
        if (spec.assigner.kind === 'session') {
          const merged = mergeSession(window, list);
          if (late(merged.window)) continue;
          if (merged.absorbed.length > 0) list = absorb(ctx, list, merged.window, merged.absorbed);
          addTo(ctx, list, merged.window, value, watermark);
        } else {
          if (late(window)) continue;
          addTo(ctx, list, window, value, watermark);
        }
        added = true;
      }
      if (added) save(list);
      else windowOutput(ctx).emitLate(value);
    },

    onTimer(timestamp: number, ctx: TimerContext<unknown>) {
      if ((ctx.timeDomain === 'processing') !== processing) return;
      const list = windows.value() ?? [];
      const kept: WindowEntry[] = [];
      const gone = new Set<number>();
      for (const entry of list) {
        const cleanAt = entry.end - 1 + lateness;
        if (!entry.fired && fireTime(entry) <= timestamp) {
          fire(ctx, entry);
          if (cleanAt <= timestamp) gone.add(entry.start);
          else {
            kept.push({ ...entry, fired: true });
            register(ctx, cleanAt);
          }
        } else if (entry.fired && cleanAt <= timestamp) gone.add(entry.start);
        else kept.push(entry);
      }
      if (kept.length === list.length && gone.size === 0 && kept.every((e, i) => e === list[i]))
        return;
      save(kept);
      if (!aggregate && gone.size > 0)
        elements.update(elements.get().filter(([s]) => !gone.has(s)));
    },
  };

  /**
   * Session windows that the new one overlaps become one (`into`): their accumulators
   * merged, their elements moved to its start. Returns the key's windows after it.
   */
  function absorb(
    ctx: KeyedContext<unknown>,
    list: readonly WindowEntry[],
    into: TimeWindow,
    absorbed: readonly WindowEntry[],
  ): WindowEntry[] {
    const [first] = absorbed;
    // the new element within one session: nothing merges
    if (absorbed.length === 1 && first.start === into.start && first.end === into.end)
      return [...list];
    let acc: unknown;
    for (const [i, entry] of absorbed.entries()) {
      if (aggregate) acc = i === 0 ? copy(entry.acc) : aggregate.merge!(acc, copy(entry.acc));
    }
    const moved = new Set(absorbed.map((w) => w.start));
    if (!aggregate) {
      elements.update(elements.get().map(([s, v]) => [moved.has(s) ? into.start : s, v]));
    }
    // a session that grew has not fired at its new end
    const merged: WindowEntry = { start: into.start, end: into.end, ...(aggregate ? { acc } : {}) };
    const after = [...list.filter((w) => !moved.has(w.start)), merged];
    register(ctx, fireTime(into));
    // the merged sessions' timers, unless another window of the key is due then
    const due = new Set(after.flatMap((w) => [fireTime(w), w.end - 1 + lateness]));
    for (const entry of absorbed) {
      const at = entry.fired ? entry.end - 1 + lateness : fireTime(entry);
      if (!due.has(at)) unregister(ctx, at);
    }
    return after;
  }
}

/**
 * A copy of an accumulator (or an element) for a window function to change as it likes:
 * through JSON, as state keeps it, so a failed call leaves the window as it was and a
 * value JSON cannot hold (a Set, Infinity) fails the same before and after a restore.
 */
function copy(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? JSON.parse(JSON.stringify(value)) : value;
}

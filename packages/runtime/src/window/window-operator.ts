import { LATE_TAG } from '../job/job-spec';
import type {
  ElementContext,
  KeyedContext,
  KeyedProcessFunction,
  RuntimeContext,
  TimerContext,
} from '../job/process-function';
import type { ListState, MapState } from '../state/state-handles';
import { UsageError } from '../util/errors';
import { assignWindows, type TimeWindow } from './assign-windows';
import { windowSpecProblems } from './window-problems';
import { mergeSession } from './session-merge';
import {
  isWindowAggregate,
  type WindowAggregate,
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
 *   - State. Per key, the map `windows`: by window start, the window's end, its
 *     accumulator (an aggregate) and whether it fired. A full-window function's elements
 *     are in the list `window-elements` as `[start, element]`, appended without copying.
 *   - Firing. A window registers a timer at `end - 1` (Flink's maxTimestamp) and fires
 *     when it is due; its output carries that event time, so the next stage never sees
 *     it late. Each output is named `window@<start>-<end>:<key>#<n>`, the same whenever
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

/** What the window operator keeps per window. */
interface WindowEntry {
  readonly end: number;
  /** An aggregate's accumulator. */
  readonly acc?: unknown;
  readonly fired?: true;
}

/** Emits a window's outputs under an origin of its own (the task's context does). */
export interface WindowOutputContext {
  emitWindow(origin: string, timestamp: number, values: Iterable<unknown>): void;
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
  if (!aggregate && typeof (fn as { process?: unknown }).process !== 'function')
    throw new UsageError(
      `${label}: a window function has createAccumulator/add/result (an aggregate) or process (a full-window function)`,
    );
  if (spec.assigner.kind === 'session' && aggregate && typeof aggregate.merge !== 'function')
    throw new UsageError(`${label}: session windows merge, so the aggregate needs merge(a, b)`);

  let windows: MapState<WindowEntry>;
  let elements: ListState<[number, unknown]>;

  const register = (ctx: KeyedContext<unknown>, ts: number) =>
    processing ? ctx.timers.registerProcessingTimeTimer(ts) : ctx.timers.registerEventTimeTimer(ts);

  const unregister = (ctx: KeyedContext<unknown>, ts: number) =>
    processing ? ctx.timers.deleteProcessingTimeTimer(ts) : ctx.timers.deleteEventTimeTimer(ts);

  const fire = (ctx: KeyedContext<unknown>, start: number, entry: WindowEntry) => {
    const bounds: WindowBounds = { key: ctx.key, start, end: entry.end };
    let outputs: Iterable<unknown>;
    if (aggregate) {
      const out = aggregate.result(entry.acc, bounds);
      outputs = out === undefined ? [] : [out];
    } else {
      const mine = elements
        .get()
        .filter(([s]) => s === start)
        .map(([, v]) => v);
      outputs = (fn as WindowProcess<unknown, unknown>).process(mine, bounds);
    }
    const origin = `${originPrefix}window@${start}-${entry.end}:${ctx.key}`;
    windowOutput(ctx).emitWindow(origin, entry.end - 1, outputs);
  };

  const remove = (starts: readonly number[]) => {
    for (const s of starts) windows.remove(String(s));
    if (!aggregate && starts.length > 0) {
      const gone = new Set(starts);
      elements.update(elements.get().filter(([s]) => !gone.has(s)));
    }
  };

  /** Adds `value` to the window (new or not), firing it at once when the watermark is past its end. */
  const addTo = (
    ctx: KeyedContext<unknown>,
    window: TimeWindow,
    value: unknown,
    watermark: number,
  ) => {
    const before = windows.get(String(window.start));
    let acc: unknown;
    if (aggregate) {
      const current = before ? copy(before.acc) : aggregate.createAccumulator();
      acc = aggregate.add(value, current);
    } else {
      elements.add([window.start, value]);
    }
    const due = !processing && window.end - 1 <= watermark;
    const entry: WindowEntry = {
      end: window.end,
      ...(aggregate ? { acc } : {}),
      // fired at this end: a merged session that grew past its firing fires again at its new end
      ...(due || (before?.fired && before.end === window.end) ? { fired: true as const } : {}),
    };
    windows.put(String(window.start), entry);
    if (due) {
      fire(ctx, window.start, entry);
      register(ctx, window.end - 1 + lateness);
    } else if (!before) register(ctx, window.end - 1);
  };

  return {
    open(ctx: RuntimeContext) {
      windows = ctx.mapState<WindowEntry>('windows');
      elements = ctx.listState<[number, unknown]>('window-elements');
    },

    processElement(value: unknown, ctx: ElementContext<unknown>) {
      const time = processing ? ctx.currentProcessingTime() : ctx.timestamp;
      const watermark = processing ? Number.NEGATIVE_INFINITY : ctx.currentWatermark();
      const late = (w: TimeWindow) => w.end - 1 + lateness <= watermark;
      let added = false;
      for (const window of assignWindows(spec.assigner, time)) {
        if (spec.assigner.kind === 'session') {
          const merged = mergeSession(window, windows.entries());
          if (late(merged.window)) continue;
          if (merged.absorbed.length > 0) {
            absorb(ctx, merged.window, merged.absorbed);
          }
          addTo(ctx, merged.window, value, watermark);
        } else {
          if (late(window)) continue;
          addTo(ctx, window, value, watermark);
        }
        added = true;
      }
      if (!added) ctx.output(LATE_TAG, value);
    },

    onTimer(timestamp: number, ctx: TimerContext<unknown>) {
      if ((ctx.timeDomain === 'processing') !== processing) return;
      const gone: number[] = [];
      for (const [key, entry] of windows.entries()) {
        const start = Number(key);
        const fireAt = entry.end - 1;
        if (!entry.fired && fireAt <= timestamp) {
          fire(ctx, start, entry);
          if (fireAt + lateness <= timestamp) gone.push(start);
          else {
            windows.put(key, { ...entry, fired: true });
            register(ctx, fireAt + lateness);
          }
        } else if (entry.fired && fireAt + lateness <= timestamp) gone.push(start);
      }
      remove(gone);
    },
  };

  /**
   * Session windows that the new one overlaps become one (`into`): their accumulators
   * merged into the one at `into.start`, their elements moved there.
   */
  function absorb(
    ctx: KeyedContext<unknown>,
    into: TimeWindow,
    absorbed: ReadonlyArray<readonly [number, WindowEntry]>,
  ): void {
    const [first] = absorbed;
    // the new element within one session: nothing merges
    if (absorbed.length === 1 && first[0] === into.start && first[1].end === into.end) return;
    let acc: unknown;
    for (const [i, [, entry]] of absorbed.entries()) {
      if (aggregate) acc = i === 0 ? copy(entry.acc) : aggregate.merge!(acc, copy(entry.acc));
    }
    const starts = absorbed.map(([s]) => s);
    for (const s of starts) windows.remove(String(s));
    if (!aggregate) {
      const moved = new Set(starts);
      elements.update(elements.get().map(([s, v]) => [moved.has(s) ? into.start : s, v]));
    }
    // a session that grew has not fired at its new end
    windows.put(String(into.start), { end: into.end, ...(aggregate ? { acc } : {}) });
    register(ctx, into.end - 1);
    // the merged sessions' timers, unless another window of the key is due then
    const due = new Set(windows.values().flatMap((w) => [w.end - 1, w.end - 1 + lateness]));
    for (const [, entry] of absorbed) {
      const at = entry.fired ? entry.end - 1 + lateness : entry.end - 1;
      if (!due.has(at)) unregister(ctx, at);
    }
  }
}

/** An accumulator the aggregate may change in place, copied so a failed call leaves state as it was. */
function copy(acc: unknown): unknown {
  return typeof acc === 'object' && acc !== null ? structuredClone(acc) : acc;
}

export type { WindowAggregate };

import type { WindowAssigner } from './window-spec';

/** A window of time, `[start, end)`. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** The greatest start `≤ ts` of the grid `offset + n·step` (Flink's `getWindowStartWithOffset`). */
function gridStart(ts: number, offset: number, step: number): number {
  const r = (ts - offset) % step;
  return ts - (r < 0 ? r + step : r);
}

/**
 * The windows an element of time `ts` belongs to, latest start first: one tumbling
 * window, `size / slide` sliding ones (fewer when `slide` does not divide `size`), or
 * the session `[ts, ts + gap)` before merging.
 */
export function assignWindows(assigner: WindowAssigner, ts: number): TimeWindow[] {
  if (assigner.kind === 'session') return [{ start: ts, end: ts + assigner.gapMs }];
  const offset = assigner.offsetMs ?? 0;
  if (assigner.kind === 'tumbling') {
    const start = gridStart(ts, offset, assigner.sizeMs);
    return [{ start, end: start + assigner.sizeMs }];
  }
  const windows: TimeWindow[] = [];
  for (
    let start = gridStart(ts, offset, assigner.slideMs);
    start > ts - assigner.sizeMs;
    start -= assigner.slideMs
  ) {
    windows.push({ start, end: start + assigner.sizeMs });
  }
  return windows;
}

/** Why an assigner cannot work, or undefined: sizes positive integers, `slide ≤ size`, `0 ≤ offset < size`. */
export function assignerProblem(assigner: WindowAssigner): string | undefined {
  const positive = (name: string, v: number) =>
    Number.isInteger(v) && v > 0
      ? undefined
      : `${name} must be a positive whole number of ms, got ${v}`;
  if (assigner.kind === 'session') return positive('session gap', assigner.gapMs);
  const size = positive(`${assigner.kind} window size`, assigner.sizeMs);
  if (size) return size;
  const step = assigner.kind === 'sliding' ? assigner.slideMs : assigner.sizeMs;
  if (assigner.kind === 'sliding') {
    const slide = positive('sliding window slide', assigner.slideMs);
    if (slide) return slide;
    if (assigner.slideMs > assigner.sizeMs)
      return `sliding window slide (${assigner.slideMs} ms) must not exceed its size (${assigner.sizeMs} ms): elements between windows would belong to none`;
  }
  const offset = assigner.offsetMs ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset >= step)
    return `window offset must be a whole number of ms in [0, ${step}), got ${offset}`;
  return undefined;
}

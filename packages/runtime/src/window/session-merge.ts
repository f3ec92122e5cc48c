import type { TimeWindow } from './assign-windows';

/**
 * The session a new window `[ts, ts + gap)` makes with a key's sessions (Flink's
 * MergingWindowSet): it and every session it overlaps become one window spanning them
 * all. Sessions are `[start, end)`: two that only touch (one ends where the other
 * starts, elements exactly a gap apart) stay apart. A key's sessions never overlap one
 * another, so one pass finds every session the new one reaches.
 */
export function mergeSession<E extends TimeWindow>(
  window: TimeWindow,
  sessions: readonly E[],
): { window: TimeWindow; absorbed: E[] } {
  let { start, end } = window;
  const absorbed = sessions
    .filter((s) => s.start < window.end && window.start < s.end)
    .sort((a, b) => a.start - b.start);
  for (const s of absorbed) {
    start = Math.min(start, s.start);
    end = Math.max(end, s.end);
  }
  return { window: { start, end }, absorbed };
}

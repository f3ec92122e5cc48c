import type { TimeWindow } from './assign-windows';

/**
 * The session a new window `[ts, ts + gap)` makes with a key's sessions (Flink's
 * MergingWindowSet): it and every session it overlaps become one window spanning them
 * all. Sessions are `[start, end)`: two that only touch (one ends where the other
 * starts, elements exactly a gap apart) stay apart.
 */
export function mergeSession<E extends { readonly end: number }>(
  window: TimeWindow,
  sessions: ReadonlyArray<readonly [string, E]>,
): { window: TimeWindow; absorbed: Array<readonly [number, E]> } {
  let { start, end } = window;
  const absorbed: Array<readonly [number, E]> = [];
  // overlaps are checked against the growing window: a session the merge reaches joins too
  const remaining = sessions.map(([s, e]) => [Number(s), e] as const).sort((a, b) => a[0] - b[0]);
  let grew = true;
  while (grew) {
    grew = false;
    for (let i = 0; i < remaining.length; i++) {
      const [s, e] = remaining[i];
      if (s < end && start < e.end) {
        start = Math.min(start, s);
        end = Math.max(end, e.end);
        absorbed.push(remaining[i]);
        remaining.splice(i--, 1);
        grew = true;
      }
    }
  }
  absorbed.sort((a, b) => a[0] - b[0]);
  return { window: { start, end }, absorbed };
}

/** Length of the tumbling windows bids are counted in. */
export const WINDOW_MS = 10_000;

/** The window `[start, end)` an event time falls in. */
export function windowOf(ts: number): { start: number; end: number } {
  const start = Math.floor(ts / WINDOW_MS) * WINDOW_MS;
  return { start, end: start + WINDOW_MS };
}

/** Fewer bids lose; of equal counts, the auction whose id sorts first wins. */
export function beats(
  a: { auction: string; bids: number },
  b: { auction: string; bids: number },
): boolean {
  return a.bids > b.bids || (a.bids === b.bids && a.auction < b.auction);
}

import { WINDOW_SIZE_MS, WINDOW_SLIDE_MS } from './hot-items.job';
import type { Bid, HotItem } from './model';

/**
 * What the job must output for `bids`, computed directly rather than by windows: for
 * every start `s`, a multiple of 2 s, whose window `[s, s + 10 s)` holds a bid, the
 * bids in it counted per auction; the highest count, one record per auction that has
 * it. Bids late when they arrive count nowhere in the job: pass only the on-time ones.
 */
export function referenceHotItems(bids: readonly Bid[]): HotItem[] {
  if (bids.length === 0) return [];
  const times = bids.map((b) => b.dateTime);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const out: HotItem[] = [];
  // the first start whose window reaches `first`, a multiple of the slide
  const from = Math.floor((first - WINDOW_SIZE_MS) / WINDOW_SLIDE_MS + 1) * WINDOW_SLIDE_MS;
  for (let start = from; start <= last; start += WINDOW_SLIDE_MS) {
    const end = start + WINDOW_SIZE_MS;
    const counts = new Map<number, number>();
    for (const b of bids) {
      if (b.dateTime >= start && b.dateTime < end)
        counts.set(b.auction, (counts.get(b.auction) ?? 0) + 1);
    }
    if (counts.size === 0) continue;
    const best = Math.max(...counts.values());
    for (const [auction, count] of counts) {
      if (count === best) out.push({ windowStart: start, windowEnd: end, auction, count });
    }
  }
  return inOrder(out);
}

/** By window, then auction: the order the comparisons in tests and the demo use. */
export function inOrder(items: readonly HotItem[]): HotItem[] {
  return [...items].sort((a, b) => a.windowStart - b.windowStart || a.auction - b.auction);
}

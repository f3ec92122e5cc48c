import type { Bid, TopAuction } from './model';
import { beats, windowOf } from './windows';

/**
 * What the job must output for `bids`, computed directly: per category and window the
 * auction with the most bids. Bids at or below the watermark when they arrive are late
 * and count nowhere: pass only the on-time ones.
 */
export function referenceTop(bids: readonly Bid[]): TopAuction[] {
  const perAuction = new Map<string, Omit<TopAuction, 'auctions' | 'categoryBids'>>();
  for (const bid of bids) {
    const { start, end } = windowOf(bid.ts);
    const id = `${bid.auction} ${start}`;
    const entry = perAuction.get(id);
    if (entry) entry.bids++;
    else {
      const auction = bid.auction;
      perAuction.set(id, {
        category: bid.category,
        windowStart: start,
        windowEnd: end,
        auction,
        bids: 1,
      });
    }
  }
  const best = new Map<string, TopAuction>();
  for (const c of perAuction.values()) {
    const id = `${c.category} ${c.windowStart}`;
    const current = best.get(id);
    const auctions = (current?.auctions ?? 0) + 1;
    const categoryBids = (current?.categoryBids ?? 0) + c.bids;
    const top = !current || beats(c, current) ? c : current;
    best.set(id, { ...top, auctions, categoryBids });
  }
  return inOrder([...best.values()]);
}

/** By window, then category: the order the comparisons in tests and the demo use. */
export function inOrder(top: readonly TopAuction[]): TopAuction[] {
  return [...top].sort(
    (a, b) => a.windowStart - b.windowStart || a.category.localeCompare(b.category),
  );
}

import type { Bid } from '../src';
import { WINDOW_MS } from '../src';

/**
 * One bid per partition well after the others, each of its own auction and category:
 * the watermark of every partition passes the last window, so every window closes.
 * Sent to explicit partitions (each key in one partition, as `partitionedByKey` says).
 */
export function closingBids(bids: readonly Bid[], partitions: number) {
  const after = Math.max(...bids.map((b) => b.ts)) + 3 * WINDOW_MS;
  return Array.from({ length: partitions }, (_, p) => {
    const bid: Bid = {
      bidId: `closing-${p}`,
      auction: `closing-${p}`,
      category: 'closing',
      bidder: 'closing',
      price: 0,
      ts: after,
    };
    return { key: bid.auction, value: bid, partition: p };
  });
}

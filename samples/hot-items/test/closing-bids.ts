import { WINDOW_SIZE_MS, type Bid } from '../src';

/**
 * One bid per partition 30 s after the others, each of its own auction: the watermark
 * of every partition (20 s after the last bid) passes the last window's end, so every
 * window closes; the closing bids' own windows never do. Sent to explicit partitions
 * (each key in one partition, as `partitionedByKey` says).
 */
export function closingBids(bids: readonly Bid[], partitions: number) {
  const after = Math.max(...bids.map((b) => b.dateTime)) + 3 * WINDOW_SIZE_MS;
  return Array.from({ length: partitions }, (_, p) => {
    const bid: Bid = { auction: 900 + p, bidder: 0, price: 0, dateTime: after };
    return { key: String(bid.auction), value: bid, partition: p };
  });
}

/** A bid on an auction (the source `bids`, Nexmark's bid event). */
export interface Bid {
  auction: number;
  bidder: number;
  /** Cents. */
  price: number;
  /** Event time, epoch ms. */
  dateTime: number;
  channel?: string;
  url?: string;
  extra?: string;
}

/**
 * Stage one's output (the stream `auction-counts`): an auction's bids in one sliding
 * window `[windowStart, windowEnd)`.
 */
export interface AuctionCount {
  auction: number;
  windowStart: number;
  windowEnd: number;
  count: number;
}

/**
 * The job's output (the sink `hot-items`): an auction with the most bids of a window,
 * one record per auction when several tie.
 */
export interface HotItem {
  windowStart: number;
  windowEnd: number;
  auction: number;
  count: number;
}

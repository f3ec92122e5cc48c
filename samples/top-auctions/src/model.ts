/** A bid on an auction (the source `bids`). */
export interface Bid {
  bidId: string;
  auction: string;
  /** The auction's category: every bid of an auction has the same one. */
  category: string;
  bidder: string;
  /** Cents. */
  price: number;
  /** Event time, epoch ms. */
  ts: number;
}

/** Stage one's output (the stream `auction-counts`): an auction's bids in one window. */
export interface AuctionCount {
  auction: string;
  category: string;
  windowStart: number;
  windowEnd: number;
  bids: number;
}

/**
 * The job's output (the sink `top`): the auction of a category with the most bids in a
 * window, and how many auctions and bids the category had in it.
 */
export interface TopAuction {
  category: string;
  windowStart: number;
  windowEnd: number;
  auction: string;
  bids: number;
  /** Auctions of the category with bids in the window. */
  auctions: number;
  /** Bids on all of them. */
  categoryBids: number;
}

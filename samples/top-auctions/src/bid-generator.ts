import { seededRandom } from '@stream-gen/runtime/testing';
import type { Bid } from './model';

export interface BidGeneratorOptions {
  readonly bids: number;
  readonly seed: number;
  /** Auctions open at once (default 60), in `categories` categories (default 6). */
  readonly auctions?: number;
  readonly categories?: number;
  /** Bids per second of event time (default 100). */
  readonly perSecond?: number;
  /** How far a bid may arrive behind the newest one, ms (default 1500; the job allows 2 s). */
  readonly maxDelayMs?: number;
  /** First event time (default 2026-12-01T00:00:00Z). */
  readonly startMs?: number;
}

/**
 * Seeded bids in arrival order, a few auctions hot (they draw most bids), each bid
 * up to `maxDelayMs` behind the newest, so none is late for the job's 2 s bound.
 */
export function generateBids(options: BidGeneratorOptions): Bid[] {
  const random = seededRandom(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const auctions = options.auctions ?? 60;
  const categories = options.categories ?? 6;
  const step = 1000 / (options.perSecond ?? 100);
  const delay = options.maxDelayMs ?? 1500;
  const start = options.startMs ?? Date.UTC(2026, 11, 1);
  const out: Bid[] = [];
  for (let i = 0; i < options.bids; i++) {
    // squaring skews the draw towards the first auctions: those are hot
    const a = Math.floor(random() ** 2 * auctions);
    const newest = start + Math.round(i * step);
    out.push({
      bidId: `b${i}`,
      auction: `auction-${a}`,
      category: `category-${a % categories}`,
      bidder: `bidder-${pick(500)}`,
      price: 100 + pick(10_000),
      ts: Math.max(start, newest - pick(delay)),
    });
  }
  return out;
}

import { seededRandom } from '@stream-gen/runtime/testing';
import type { Bid } from './model';

const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

export interface BidGeneratorOptions {
  readonly bids: number;
  readonly seed: number;
  /** Auctions with bids (default 100), ids from 1000 on. */
  readonly auctions?: number;
  /** Bids per second of event time (default 50). */
  readonly perSecond?: number;
  /**
   * How far a bid may arrive behind the newest one, ms (default 9000; at most 10 000,
   * the job's bound, so none is late). Nine bids in ten are less than 1 s behind.
   */
  readonly maxDelayMs?: number;
  /** First event time (default 2026-12-01T00:00:00Z). */
  readonly startMs?: number;
}

/**
 * Seeded bids in arrival order. Popularity is skewed: three bids in ten go to five hot
 * auctions, the others to any auction; the hot five change every 20 s of event time.
 * So a window's top is one of the hot five, now and then two or more of them tied. Each bid arrives less than `maxDelayMs` behind the newest
 * before it, so with the default none is late for the job's 10 s bound.
 */
export function generateBids(options: BidGeneratorOptions): Bid[] {
  const random = seededRandom(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const auctions = options.auctions ?? 100;
  const step = 1000 / (options.perSecond ?? 50);
  const maxDelay = options.maxDelayMs ?? 9000;
  if (!(maxDelay >= 1 && maxDelay <= 10_000))
    throw new RangeError(`maxDelayMs must be in [1, 10000], got ${maxDelay}`);
  const start = options.startMs ?? Date.UTC(2026, 11, 1);
  const out: Bid[] = [];
  for (let i = 0; i < options.bids; i++) {
    const newest = start + Math.round(i * step);
    const rotation = Math.floor((newest - start) / 20_000);
    const a = random() < 0.3 ? (rotation * 7 + pick(5) * 3) % auctions : pick(auctions);
    const delay = random() < 0.1 ? pick(maxDelay) : pick(Math.min(1000, maxDelay));
    const bid: Bid = {
      auction: 1000 + a,
      bidder: 1 + pick(500),
      price: 100 + pick(10_000),
      dateTime: Math.max(start, newest - delay),
    };
    if (random() < 0.9) {
      const channel = CHANNELS[pick(CHANNELS.length)];
      bid.channel = channel;
      bid.url = `https://www.nexmark.com/item.htm?query=1&channel_id=${channel.toLowerCase()}`;
    }
    if (random() < 0.05) bid.extra = `note-${pick(1000)}`;
    out.push(bid);
  }
  return out;
}

/**
 * The direct computation on hand-made bids (window bounds, ties, the grid of starts),
 * and the generator: seeded, skewed, out of order by less than the job's 10 s bound.
 */
import { generateBids, inOrder, referenceHotItems, type Bid, type HotItem } from '../src';

const T0 = Date.UTC(2026, 11, 1);
const at = (auction: number, dt: number): Bid => ({
  auction,
  bidder: 1,
  price: 100,
  dateTime: T0 + dt,
});
const item = (start: number, auction: number, count: number): HotItem => ({
  windowStart: T0 + start,
  windowEnd: T0 + start + 10_000,
  auction,
  count,
});

describe('referenceHotItems', () => {
  it('counts each window [start, start + 10 s), starts every 2 s, ties one record each', () => {
    // 1 has bids at 1 s and 3 s, 2 at 3.5 s and 11 s, 3 at exactly 10 s: not in the
    // window starting at 0, in the one starting at 2 s
    const bids = [at(2, 11_000), at(1, 1_000), at(2, 3_500), at(1, 3_000), at(3, 10_000)];
    expect(referenceHotItems(bids)).toEqual([
      item(-8_000, 1, 1),
      item(-6_000, 1, 2),
      item(-4_000, 1, 2),
      item(-2_000, 1, 2),
      item(0, 1, 2),
      item(2_000, 2, 2),
      item(4_000, 2, 1),
      item(4_000, 3, 1),
      item(6_000, 2, 1),
      item(6_000, 3, 1),
      item(8_000, 2, 1),
      item(8_000, 3, 1),
      item(10_000, 2, 1),
      item(10_000, 3, 1),
    ]);
  });

  it('gives the same items whatever the order of the input; none for no bids', () => {
    const bids = generateBids({ bids: 500, seed: 2 });
    expect(referenceHotItems([...bids].reverse())).toEqual(referenceHotItems(bids));
    expect(referenceHotItems([])).toEqual([]);
  });

  it('inOrder sorts by window, then auction', () => {
    const items = [item(2_000, 5, 1), item(0, 9, 2), item(0, 4, 2)];
    expect(inOrder(items)).toEqual([items[2], items[1], items[0]]);
  });
});

describe('generateBids', () => {
  const bids = generateBids({ bids: 3_000, seed: 1 });

  it('is seeded: the same seed, the same bids', () => {
    expect(generateBids({ bids: 3_000, seed: 1 })).toEqual(bids);
    expect(generateBids({ bids: 3_000, seed: 2 })).not.toEqual(bids);
  });

  it('draws on 100 auctions by default, a few of them hot, and fills the optional fields', () => {
    const per = new Map<number, number>();
    for (const b of bids) per.set(b.auction, (per.get(b.auction) ?? 0) + 1);
    expect(Math.min(...per.keys())).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...per.keys())).toBeLessThan(1100);
    expect(per.size).toBeGreaterThan(90);
    const counts = [...per.values()].sort((a, b) => b - a);
    expect(counts[0]).toBeGreaterThan(3 * counts[50]);
    expect(bids.filter((b) => b.channel && b.url).length).toBeGreaterThan(2_500);
    expect(bids.some((b) => b.extra)).toBe(true);
  });

  it('arrives out of order, each bid less than 10 s behind the newest before it', () => {
    let newest = Number.NEGATIVE_INFINITY;
    let behind = 0;
    let most = 0;
    for (const b of bids) {
      most = Math.max(most, newest - b.dateTime);
      if (b.dateTime < newest) behind++;
      newest = Math.max(newest, b.dateTime);
    }
    expect(most).toBeLessThan(10_000);
    expect(most).toBeGreaterThan(8_000);
    expect(behind).toBeGreaterThan(1_000);
    expect(Math.min(...bids.map((b) => b.dateTime))).toBe(T0);
    expect(() => generateBids({ bids: 1, seed: 1, maxDelayMs: 10_001 })).toThrow(RangeError);
  });
});

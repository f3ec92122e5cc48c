/**
 * A job of two keyed stages across a repartition: bids counted per auction and
 * ten-second window, then the auction with the most bids per category and window.
 * What it must output is computed here directly from the bids, for the tests.
 */
import type {
  ChainStageSpec,
  ElementContext,
  JobSpec,
  MapState,
  RuntimeContext,
  TimerContext,
  ValueState,
} from '../src';
import { seededRandom } from '../src/testing';

export interface Bid {
  auction: string;
  category: string;
  price: number;
  ts: number;
}

export interface AuctionCount {
  auction: string;
  category: string;
  windowEnd: number;
  count: number;
}

export interface TopAuction {
  category: string;
  windowEnd: number;
  auction: string;
  count: number;
  /** Bids of the whole category in the window: a count applied twice would show here. */
  total: number;
}

export const WINDOW_MS = 10_000;
const windowEnd = (ts: number) => Math.floor(ts / WINDOW_MS) * WINDOW_MS + WINDOW_MS;

/** Stage one, keyed by auction: counts a window's bids, emits the count when it closes. */
export class CountBids {
  private counts!: MapState<number>;
  private category!: ValueState<string>;
  open(ctx: RuntimeContext) {
    this.counts = ctx.mapState<number>('counts');
    this.category = ctx.valueState<string>('category');
  }
  processElement(bid: Bid, ctx: ElementContext<AuctionCount>) {
    const end = String(windowEnd(bid.ts));
    this.counts.put(end, (this.counts.get(end) ?? 0) + 1);
    this.category.update(bid.category);
    ctx.timers.registerEventTimeTimer(windowEnd(bid.ts));
  }
  onTimer(timestamp: number, ctx: TimerContext<AuctionCount>) {
    const end = String(timestamp);
    const count = this.counts.get(end) ?? 0;
    this.counts.remove(end);
    ctx.emit({
      auction: ctx.key,
      category: this.category.value() ?? '',
      windowEnd: timestamp,
      count,
    });
  }
}

/** Stage two, keyed by category: the best auction of each window, emitted when it closes. */
export class TopPerCategory {
  private best!: MapState<{ auction: string; count: number; total: number }>;
  open(ctx: RuntimeContext) {
    this.best = ctx.mapState<{ auction: string; count: number; total: number }>('best');
  }
  processElement(count: AuctionCount, ctx: ElementContext<TopAuction>) {
    const end = String(count.windowEnd);
    const best = this.best.get(end);
    const total = (best?.total ?? 0) + count.count;
    const top = !best || isBetter(count, best) ? count : best;
    this.best.put(end, { auction: top.auction, count: top.count, total });
    ctx.timers.registerEventTimeTimer(count.windowEnd);
  }
  onTimer(timestamp: number, ctx: TimerContext<TopAuction>) {
    const best = this.best.get(String(timestamp));
    this.best.remove(String(timestamp));
    if (best) ctx.emit({ category: ctx.key, windowEnd: timestamp, ...best });
  }
}

const isBetter = (a: { auction: string; count: number }, b: { auction: string; count: number }) =>
  a.count > b.count || (a.count === b.count && a.auction < b.auction);

export function topAuctionJob(name = 'TopAuctions'): JobSpec {
  return {
    name,
    sources: [
      {
        name: 'bids',
        key: (b: Bid) => b.auction,
        // tests write each bid to the partition of its auction's hash
        partitionedByKey: true,
        eventTime: { timestamp: (b: Bid) => b.ts, maxOutOfOrdernessMs: 2_000 },
      },
    ],
    operator: {
      kind: 'process',
      name: 'count-bids',
      input: 'bids',
      output: 'auction-counts',
      create: () => new CountBids(),
    },
    keyedStages: [
      {
        kind: 'process',
        id: 'top-auction',
        input: 'auction-counts',
        key: (c: AuctionCount) => c.category,
        create: () => new TopPerCategory(),
      },
    ],
    outputs: { main: 'top', sideOutputs: { late: 'late' }, deadLetters: 'dead-letters' },
  };
}

/** Bids over `windows` windows, in time order but for up to 1.5 s of disorder (none late). */
export function generateBids(options: { count: number; seed: number; windows?: number }): Bid[] {
  const next = seededRandom(options.seed);
  const int = (n: number) => Math.floor(next() * n);
  const span = (options.windows ?? 6) * WINDOW_MS;
  const start = 1_700_000_000_000 - (1_700_000_000_000 % WINDOW_MS);
  const bids: Bid[] = [];
  for (let i = 0; i < options.count; i++) {
    const auction = int(40);
    const base = start + Math.floor((i / options.count) * span);
    bids.push({
      auction: `a${auction}`,
      category: `c${auction % 5}`,
      price: 1 + int(100),
      ts: Math.max(start, base - int(1_500)),
    });
  }
  return bids;
}

/** What the job outputs for `bids` when none is late: one top auction per category and window. */
export function expectedTop(bids: readonly Bid[]): TopAuction[] {
  const counts = new Map<string, AuctionCount>();
  for (const bid of bids) {
    const end = windowEnd(bid.ts);
    const id = `${bid.auction}@${end}`;
    const c = counts.get(id) ?? {
      auction: bid.auction,
      category: bid.category,
      windowEnd: end,
      count: 0,
    };
    c.count++;
    counts.set(id, c);
  }
  const best = new Map<string, TopAuction>();
  for (const c of counts.values()) {
    const id = `${c.category}@${c.windowEnd}`;
    const b = best.get(id);
    const total = (b?.total ?? 0) + c.count;
    const top = !b || isBetter(c, b) ? c : b;
    best.set(id, {
      category: c.category,
      windowEnd: c.windowEnd,
      auction: top.auction,
      count: top.count,
      total,
    });
  }
  return sortTop([...best.values()]);
}

export function sortTop(top: readonly TopAuction[]): TopAuction[] {
  return [...top].sort((a, b) => a.windowEnd - b.windowEnd || a.category.localeCompare(b.category));
}

/** A top with the label the chain stage `label` gives it. */
export type Labelled = TopAuction & { label: string };

/** The chain stage labelling each top `category:auction`, reading `tops`, writing `labelled`. */
export function labelStage(): ChainStageSpec {
  return {
    kind: 'chain',
    id: 'label',
    input: 'tops',
    output: 'labelled',
    create: () => [
      {
        kind: 'map',
        name: 'label',
        fn: (t: TopAuction): Labelled => ({ ...t, label: `${t.category}:${t.auction}` }),
      },
    ],
  };
}

/** `auction@windowEnd` of each auction's windows with a single bid. */
export function singleCounts(bids: readonly Bid[]): string[] {
  const counts = new Map<string, number>();
  for (const b of bids) {
    const id = `${b.auction}@${windowEnd(b.ts)}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n === 1).map(([id]) => id);
}

/** The chain stage dropping counts of zero (none are), reading `auction-counts`, writing `counts`. */
export function nonEmptyStage(): ChainStageSpec {
  return {
    kind: 'chain',
    id: 'non-empty',
    input: 'auction-counts',
    output: 'counts',
    create: () => [{ kind: 'filter', name: 'counted', fn: (c: AuctionCount) => c.count > 0 }],
  };
}

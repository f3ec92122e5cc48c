import { KeyBy, KeyedProcess, ProcessElement, State, Timer } from '@stream-gen/annotations';
import type { ElementContext, MapState, TimerContext } from '@stream-gen/runtime';
import type { AuctionCount, TopAuction } from './model';
import { beats } from './windows';

/** What stage two keeps of a window until it closes. */
export interface WindowSoFar {
  best: AuctionCount;
  auctions: number;
  bids: number;
}

/**
 * Stage two, keyed by category behind a repartition: keeps the best auction of each
 * window (and sums the category's counts: a count applied twice would show) and emits it once the watermark passes the window's end. The counts of a
 * window all arrive before that: stage one emits them when its watermark passes the
 * same end, and this stage's watermark is the minimum over stage one's tasks.
 */
@KeyedProcess({ id: 'top-auction', input: 'auction-counts' })
export class TopPerCategory {
  /** Per window end: the best auction so far, and the category's auctions and bids. */
  @State() private windows!: MapState<WindowSoFar>;

  @ProcessElement('auction-counts')
  @KeyBy((c: AuctionCount) => c.category)
  onCount(count: AuctionCount, ctx: ElementContext<TopAuction>): void {
    const end = String(count.windowEnd);
    const so = this.windows.get(end);
    this.windows.put(end, {
      best: !so || beats(count, so.best) ? count : so.best,
      auctions: (so?.auctions ?? 0) + 1,
      bids: (so?.bids ?? 0) + count.bids,
    });
    ctx.timers.registerEventTimeTimer(count.windowEnd);
  }

  @Timer()
  onWindowEnd(end: number, ctx: TimerContext<TopAuction>): void {
    const so = this.windows.get(String(end));
    if (!so) return;
    this.windows.remove(String(end));
    ctx.emit({
      category: ctx.key,
      windowStart: so.best.windowStart,
      windowEnd: end,
      auction: so.best.auction,
      bids: so.best.bids,
      auctions: so.auctions,
      categoryBids: so.bids,
    });
  }
}

import { KeyBy, KeyedProcess, ProcessElement, State, Timer } from '@stream-gen/annotations';
import type { ElementContext, TimerContext, ValueState } from '@stream-gen/runtime';
import type { AuctionCount, HotItem } from './model';

/** What stage two keeps of a window until it closes: the best count and who has it. */
export interface WindowTop {
  windowStart: number;
  count: number;
  /** The auctions with `count` bids, in the order their counts arrived. */
  auctions: number[];
}

/**
 * Stage two, keyed by window end behind a repartition: keeps the highest count of each
 * window and the auctions that have it, and emits them once its watermark reaches the
 * window's `end - 1`. The counts of a window carry that event time (stage one fires a
 * window when its watermark reaches `end - 1`), and this stage's watermark is the
 * minimum over stage one's tasks, moved only after it applied the counts they sent
 * before: so every count of the window is in before the timer fires, and none is late.
 */
@KeyedProcess({ id: 'hot-items', input: 'auction-counts' })
export class HottestAuctions {
  @State() private top!: ValueState<WindowTop>;

  @ProcessElement('auction-counts')
  @KeyBy((c: AuctionCount) => c.windowEnd)
  onCount(c: AuctionCount, ctx: ElementContext<HotItem>): void {
    const so = this.top.value();
    if (!so || c.count > so.count) {
      this.top.update({ windowStart: c.windowStart, count: c.count, auctions: [c.auction] });
    } else if (c.count === so.count) {
      // a count applied twice would show here, as a repeated auction
      this.top.update({ ...so, auctions: [...so.auctions, c.auction] });
    }
    ctx.timers.registerEventTimeTimer(c.windowEnd - 1);
  }

  @Timer()
  onWindowClosed(at: number, ctx: TimerContext<HotItem>): void {
    const so = this.top.value();
    if (!so) return;
    this.top.clear();
    const windowEnd = at + 1;
    for (const auction of [...so.auctions].sort((a, b) => a - b)) {
      ctx.emit({ windowStart: so.windowStart, windowEnd, auction, count: so.count });
    }
  }
}

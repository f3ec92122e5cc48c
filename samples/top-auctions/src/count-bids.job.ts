import {
  KeyBy,
  KeyedProcess,
  ProcessElement,
  Sink,
  Source,
  State,
  StreamJob,
  Timer,
} from '@stream-gen/annotations';
import type { ElementContext, MapState, TimerContext, ValueState } from '@stream-gen/runtime';
import type { AuctionCount, Bid } from './model';
import { TopPerCategory } from './top-per-category.stage';
import { windowOf } from './windows';

/**
 * Stage one, keyed by auction: counts each auction's bids per ten-second window and,
 * once the watermark passes the window's end, emits the count to `auction-counts`,
 * which the `top-auction` stage reads keyed by category (through a repartition).
 */
@StreamJob({
  name: 'TopAuctions',
  deadLetters: 'dead-letters',
  output: 'top',
  stages: [TopPerCategory],
  checkpointInterval: '2s',
})
@Source<Bid>('bids', { eventTime: 'ts', maxOutOfOrderness: '2s', partitionedByKey: true })
@Sink('top')
@Sink('late')
@Sink('dead-letters')
@KeyedProcess({ input: 'bids', output: 'auction-counts', sideOutputs: { late: 'late' } })
export class CountBids {
  /** Bids per window, by window start. */
  @State() private counts!: MapState<number>;
  @State() private category!: ValueState<string>;

  @ProcessElement('bids')
  @KeyBy((b: Bid) => b.auction)
  onBid(bid: Bid, ctx: ElementContext<AuctionCount>): void {
    const { start, end } = windowOf(bid.ts);
    this.counts.put(String(start), (this.counts.get(String(start)) ?? 0) + 1);
    this.category.update(bid.category);
    ctx.timers.registerEventTimeTimer(end);
  }

  @Timer()
  onWindowEnd(end: number, ctx: TimerContext<AuctionCount>): void {
    const start = windowOf(end - 1).start;
    const bids = this.counts.get(String(start)) ?? 0;
    this.counts.remove(String(start));
    ctx.emit({
      auction: ctx.key,
      category: this.category.value() ?? '',
      windowStart: start,
      windowEnd: end,
      bids,
    });
  }
}

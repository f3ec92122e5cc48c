import { Sink, Source, StreamJob, Window } from '@stream-gen/annotations';
import type { WindowAggregate, WindowBounds } from '@stream-gen/runtime';
import { HottestAuctions } from './hot-items.stage';
import type { AuctionCount, Bid } from './model';

/** The size of `@Window({ sliding })` below, in ms. */
export const WINDOW_SIZE_MS = 10_000;
/** Its slide, in ms: windows start at multiples of it since the epoch. */
export const WINDOW_SLIDE_MS = 2_000;

/**
 * Stage one, keyed by auction: counts each auction's bids in sliding windows of 10 s
 * every 2 s (a bid is in five of them) and, once the watermark passes a window's
 * `end - 1`, emits the count to `auction-counts`, which the `hot-items` stage reads
 * keyed by window (through a repartition). A bid behind the watermark for all its
 * windows goes to `late`.
 */
@StreamJob({
  name: 'HotItems',
  deadLetters: 'dead-letters',
  output: 'hot-items',
  stages: [HottestAuctions],
  checkpointInterval: '2s',
})
@Source<Bid>('bids', { eventTime: 'dateTime', maxOutOfOrderness: '10s', partitionedByKey: true })
@Sink('hot-items')
@Sink('late')
@Sink('dead-letters')
@Window({
  input: 'bids',
  key: 'auction',
  sliding: { size: '10s', slide: '2s' },
  output: 'auction-counts',
  sideOutputs: { late: 'late' },
})
export class HotItems implements WindowAggregate<Bid, number, AuctionCount> {
  createAccumulator(): number {
    return 0;
  }

  add(_bid: Bid, count: number): number {
    return count + 1;
  }

  merge(a: number, b: number): number {
    return a + b;
  }

  result(count: number, window: WindowBounds): AuctionCount {
    return { auction: Number(window.key), windowStart: window.start, windowEnd: window.end, count };
  }
}

/**
 * Fixtures of the diagnostics tests of keyed stages: bids counted per auction by the
 * operator, then the top auction per category by a keyed stage, as one job file for
 * virtual-project's analyzeSource (line numbers count from the body's first line).
 */

/** The top-per-category stage; `parts` replace its options, key, element type or members. */
export const topStage = (
  parts: { options?: string; keyBy?: string; takes?: string; members?: string } = {},
) => `@KeyedProcess(${parts.options ?? `{ id: 'top-auction', input: 'auction-counts' }`})
export class TopPerCategory {
  ${parts.members ?? '@State() private best!: MapState<TopAuction>;'}
  @ProcessElement('auction-counts')
  ${parts.keyBy ?? '@KeyBy((c: AuctionCount) => c.category)'}
  onCount(count: ${parts.takes ?? 'AuctionCount'}, ctx: ElementContext<TopAuction>) { void count; void ctx; }
  @Timer()
  onTimer(ts: number, ctx: TimerContext<TopAuction>) { void ts; void ctx; }
}`;

/**
 * Bids counted per auction (the operator), then the top auction per category (a keyed
 * stage); `parts` replace the stage, the lists, the operator's options or the job class.
 */
export const keyedJob = (
  parts: {
    stage?: string;
    stages?: string;
    op?: string;
    job?: string;
    sinks?: string;
    jobClass?: string;
  } = {},
) => `
import { Chain, MapElement } from '@stream-gen/annotations';
export interface Bid { auction: string; category: string; ts: number }
export interface AuctionCount { auction: string; category: string; count: number }
export interface TopAuction { category: string; auction: string; count: number }
${parts.stage ?? topStage()}
@StreamJob(${parts.job ?? `{ name: 'TopAuctions', deadLetters: 'dead-letters', stages: [${parts.stages ?? 'TopPerCategory'}] }`})
@Source<Bid>('bids', { eventTime: 'ts' })
${parts.sinks ?? `@Sink('top') @Sink('late') @Sink('dead-letters')`}
${
  parts.jobClass ??
  `@KeyedProcess(${parts.op ?? `{ input: 'bids', output: 'auction-counts', sideOutputs: { late: 'late' } }`})
export class CountBids {
  @ProcessElement('bids')
  @KeyBy('auction')
  onBid(bid: Bid, ctx: ElementContext<AuctionCount>) { void bid; void ctx; }
}`
}
`;

/** A second keyed stage reading what the first writes (`tops`). */
const publishStage = (options = `{ id: 'publish', input: 'tops' }`) => `
@KeyedProcess(${options})
export class Publish {
  @ProcessElement('tops')
  @KeyBy('auction')
  onTop(top: TopAuction, ctx: ElementContext<TopAuction>) { ctx.emit(top); }
}`;

export const twoStages = (publishOptions?: string) =>
  keyedJob({
    stage:
      topStage({ options: `{ id: 'top-auction', input: 'auction-counts', output: 'tops' }` }) +
      publishStage(publishOptions),
    stages: 'Publish, TopPerCategory',
  });

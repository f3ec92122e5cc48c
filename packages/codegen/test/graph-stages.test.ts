import { renderGraph } from '../src';
import { analyzeSource } from './virtual-project';

const job = `
import { Chain, FilterElement, FlatMapElement } from '@stream-gen/annotations';
export interface Line { text: string }
@Chain({ id: 'parse', input: 'lines', output: 'parsed' })
export class Parse {
  @FlatMapElement() split(line: Line): Click[] { return []; }
}
@Chain({ id: 'real', input: 'parsed', output: 'clicks' })
export class Real {
  @FilterElement() human(c: Click): boolean { return c.user !== 'bot'; }
}
@StreamJob({ name: 'Copy', stages: [Real, Parse] })
@Source('lines')
@Sink('out')
export class Copy {}
`;

it('draws chain stages between the source and the sink of a job without an operator', () => {
  const result = analyzeSource(job);
  expect(result.diagnostics).toEqual([]);
  expect(renderGraph(result.jobs[0].graph, 'mermaid').split('\n')).toEqual([
    'flowchart LR',
    '  source_lines[/"lines"/]',
    '  sink_out[("out")]',
    '  stage_real("real: Real (filter)")',
    '  stage_parse("parse: Parse (flatMap)")',
    '  stage_parse -->|"parsed"| stage_real',
    '  source_lines -->|"lines"| stage_parse',
    '  stage_real --> sink_out',
  ]);
});

const keyedJob = `
export interface Bid { auction: string; category: string; ts: number }
export interface AuctionCount { auction: string; category: string; count: number }
@KeyedProcess({ id: 'top-auction', input: 'auction-counts' })
export class TopPerCategory {
  @ProcessElement('auction-counts')
  @KeyBy((c: AuctionCount) => c.category)
  onCount(count: AuctionCount, ctx: ElementContext<AuctionCount>) { ctx.emit(count); }
}
@StreamJob({ name: 'TopAuctions', deadLetters: 'dead-letters', stages: [TopPerCategory] })
@Source<Bid>('bids', { eventTime: 'ts' })
@Sink('top')
@Sink('dead-letters')
@KeyedProcess({ input: 'bids', output: 'auction-counts' })
export class CountBids {
  @ProcessElement('bids')
  @KeyBy('auction')
  onBid(bid: Bid, ctx: ElementContext<AuctionCount>) { ctx.emit({ ...bid, count: 1 }); }
}
`;

it('draws a keyed stage behind the operator, its input a dashed repartition named by its topic', () => {
  const result = analyzeSource(keyedJob);
  expect(result.diagnostics).toEqual([]);
  const graph = result.jobs[0].graph;
  expect(renderGraph(graph, 'mermaid').split('\n')).toEqual([
    'flowchart LR',
    '  source_bids[/"bids"/]',
    '  sink_top[("top")]',
    '  sink_dead_letters[("dead-letters")]',
    '  op_CountBids["CountBids (keyed process)"]',
    '  stage_top_auction["top-auction: TopPerCategory (keyed process)"]',
    '  source_bids -->|"keyBy (e: Bid) => e.auction"| op_CountBids',
    '  op_CountBids -.->|"TopAuctions.top-auction.repartition"| stage_top_auction',
    '  stage_top_auction --> sink_top',
    '  op_CountBids -->|"dead letters"| sink_dead_letters',
    '  stage_top_auction -->|"dead letters"| sink_dead_letters',
  ]);
  expect(renderGraph(graph, 'dot').split('\n')).toContain(
    '  op_CountBids -> stage_top_auction [label="TopAuctions.top-auction.repartition", style=dashed];',
  );
  expect(JSON.parse(renderGraph(graph, 'json')).edges[1]).toEqual({
    from: 'op_CountBids',
    to: 'stage_top-auction',
    label: 'TopAuctions.top-auction.repartition',
    repartition: true,
  });
});

it('draws the side outputs of a keyed stage from the stage, to its own sinks and the operator’s', () => {
  const job = keyedJob
    .replace(
      "@KeyedProcess({ id: 'top-auction', input: 'auction-counts' })",
      "@KeyedProcess({ id: 'top-auction', input: 'auction-counts', sideOutputs: { tied: 'ties' } })",
    )
    .replace("@Sink('top')", "@Sink('top') @Sink('ties') @Sink('late')")
    .replace(
      "@KeyedProcess({ input: 'bids', output: 'auction-counts' })",
      "@KeyedProcess({ input: 'bids', output: 'auction-counts', sideOutputs: { late: 'late' } })",
    );
  const result = analyzeSource(job);
  expect(result.diagnostics).toEqual([]);
  const lines = renderGraph(result.jobs[0].graph, 'mermaid').split('\n');
  expect(lines).toContain('  stage_top_auction -->|"tied"| sink_ties');
  expect(lines).toContain('  op_CountBids -->|"late"| sink_late');
  // a tag the stage does not route goes where the operator's goes
  expect(lines).toContain('  stage_top_auction -->|"late"| sink_late');
  expect(lines).not.toContain('  op_CountBids -->|"tied"| sink_ties');
});

it('draws a chain stage after the last keyed stage, on the way to the main output', () => {
  const job = keyedJob
    .replace(
      "@KeyedProcess({ id: 'top-auction', input: 'auction-counts' })",
      `@Chain({ id: 'label', input: 'tops', output: 'labelled' })
export class Label {
  @MapElement()
  label(c: AuctionCount): AuctionCount { return c; }
}
@KeyedProcess({ id: 'top-auction', input: 'auction-counts', output: 'tops' })`,
    )
    .replace('stages: [TopPerCategory]', "output: 'top', stages: [TopPerCategory, Label]");
  const result = analyzeSource(job);
  expect(result.diagnostics).toEqual([]);
  const lines = renderGraph(result.jobs[0].graph, 'mermaid').split('\n');
  expect(lines).toContain('  stage_top_auction -->|"tops"| stage_label');
  expect(lines).toContain('  stage_label --> sink_top');
  expect(lines).not.toContain('  stage_top_auction --> sink_top');
});

it('draws the input of a sameKey stage solid, labelled "same key": it has no repartition', () => {
  const job = keyedJob
    .replace(
      "@KeyedProcess({ id: 'top-auction', input: 'auction-counts' })",
      `@KeyedProcess({ id: 'publish', input: 'tops', sameKey: true })
export class Publish {
  @ProcessElement('tops')
  onTop(top: AuctionCount, ctx: ElementContext<AuctionCount>) { ctx.emit(top); }
}
@KeyedProcess({ id: 'top-auction', input: 'auction-counts', output: 'tops' })`,
    )
    .replace('stages: [TopPerCategory]', 'stages: [TopPerCategory, Publish]');
  const result = analyzeSource(job);
  expect(result.diagnostics).toEqual([]);
  const graph = result.jobs[0].graph;
  expect(renderGraph(graph, 'mermaid').split('\n')).toEqual([
    'flowchart LR',
    '  source_bids[/"bids"/]',
    '  sink_top[("top")]',
    '  sink_dead_letters[("dead-letters")]',
    '  op_CountBids["CountBids (keyed process)"]',
    '  stage_top_auction["top-auction: TopPerCategory (keyed process)"]',
    '  stage_publish["publish: Publish (keyed process)"]',
    '  source_bids -->|"keyBy (e: Bid) => e.auction"| op_CountBids',
    '  op_CountBids -.->|"TopAuctions.top-auction.repartition"| stage_top_auction',
    '  stage_top_auction -->|"same key"| stage_publish',
    '  stage_publish --> sink_top',
    '  op_CountBids -->|"dead letters"| sink_dead_letters',
    '  stage_top_auction -->|"dead letters"| sink_dead_letters',
    '  stage_publish -->|"dead letters"| sink_dead_letters',
  ]);
  const dot = renderGraph(graph, 'dot').split('\n');
  expect(dot).toContain('  stage_top_auction -> stage_publish [label="same key"];');
  expect(dot).toContain(
    '  op_CountBids -> stage_top_auction [label="TopAuctions.top-auction.repartition", style=dashed];',
  );
  expect(JSON.parse(renderGraph(graph, 'json')).edges[2]).toEqual({
    from: 'stage_top-auction',
    to: 'stage_publish',
    label: 'same key',
  });
});

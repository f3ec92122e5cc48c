/**
 * The shapes a job of keyed stages may take beyond operator → stage: chain stages
 * between two keyed stages and after the last one, and side outputs of a keyed stage
 * routed to sinks of its own. Run embedded (through the exchange) and in the harness.
 */
import { checkJob, type ElementContext, type JobSpec } from '../src';
import { PipelineHarness } from '../src/testing';
import { readTopic, runOnBids } from './embedded-topics';
import type { RuntimeContext, TimerContext, ValueState } from '../src';
import {
  CountBids,
  expectedTop,
  generateBids,
  nonEmptyStage,
  labelStage,
  singleCounts,
  topAuctionJob,
  type Labelled,
  TopPerCategory,
  type AuctionCount,
  type TopAuction,
} from './top-auction-job';

jest.setTimeout(60_000);

/** Stage one, sending every auction with no bid... none: its `single` tag is the operator's own. */
class CountNotingSingles extends CountBids {
  override onTimer(timestamp: number, ctx: TimerContext<AuctionCount>) {
    ctx.output('single', { operator: true, windowEnd: timestamp });
    super.onTimer(timestamp, ctx);
  }
}

/** Keyed by auction after the tops: how many windows it won. */
class Wins {
  private wins!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.wins = ctx.valueState<number>('wins');
  }
  processElement(top: Labelled, ctx: ElementContext<Won>) {
    const wins = (this.wins.value() ?? 0) + 1;
    this.wins.update(wins);
    ctx.emit({ auction: top.auction, label: top.label, wins });
  }
}

/** Stage two, also sending every count of a single bid to its `single` side output. */
class TopNotingSingles extends TopPerCategory {
  override processElement(count: AuctionCount, ctx: ElementContext<TopAuction>) {
    if (count.count === 1) ctx.output('single', count);
    super.processElement(count, ctx);
  }
}

type Won = { auction: string; label: string; wins: number };
type Ranked = Won & { rank: string };

/**
 * TopAuctions with a chain between the operator and the first stage (counts of zero
 * dropped, none are), one between the stages (each top labelled), a second keyed stage
 * counting wins per auction and a chain after it (each ranked); the operator and stage
 * one both emit to `single`, each routed to a sink of its own.
 */
function graphJob(): JobSpec {
  const job = topAuctionJob();
  const [stage] = job.keyedStages ?? [];
  return {
    ...job,
    operator: { ...job.operator!, create: () => new CountNotingSingles() } as JobSpec['operator'],
    stages: [
      nonEmptyStage(),
      labelStage(),
      {
        kind: 'chain',
        id: 'rank',
        input: 'wins',
        output: 'ranked',
        create: () => [
          {
            kind: 'map',
            name: 'rank',
            fn: (w: Won): Ranked => ({ ...w, rank: `${w.auction}#${w.wins}` }),
          },
        ],
      },
    ],
    keyedStages: [
      {
        ...stage,
        input: 'counts',
        output: 'tops',
        create: () => new TopNotingSingles(),
        sideOutputs: { single: 'singles' },
      },
      {
        kind: 'process',
        id: 'wins',
        input: 'labelled',
        output: 'wins',
        key: (l: Labelled) => l.auction,
        create: () => new Wins(),
      },
    ],
    outputs: { ...job.outputs, sideOutputs: { late: 'late', single: 'operator-singles' } },
  };
}

/** What the job outputs: each top auction's running count of wins, ranked. */
function expectedRanked(top: readonly TopAuction[]): string[] {
  const wins = new Map<string, number>();
  return top.map((t) => {
    const n = (wins.get(t.auction) ?? 0) + 1;
    wins.set(t.auction, n);
    return `${t.auction}#${n} ${t.category}:${t.auction}`;
  });
}

const rankedOf = (records: readonly Ranked[]) => records.map((r) => `${r.rank} ${r.label}`).sort();

describe('chain stages between and after keyed stages, side outputs per stage', () => {
  it('runs embedded: tops labelled after the last stage, its side output in its own sink', async () => {
    // few bids over many windows, so some auctions get a single bid in a window
    const bids = generateBids({ count: 400, seed: 5, windows: 12 });
    const log = await runOnBids(graphJob(), bids, [
      'top',
      'late',
      'singles',
      'operator-singles',
      'dead-letters',
    ]);
    const top = readTopic<Ranked>(log, 'top');
    expect(rankedOf(top.map((t) => t.value))).toEqual(expectedRanked(expectedTop(bids)).sort());
    expect(new Set(top.map((t) => t.id)).size).toBe(top.length);
    // the last stage's ids, through the chain after it
    expect(top[0].id).toMatch(/^TopAuctions\/wins\/\d+\//);
    const singles = readTopic<AuctionCount>(log, 'singles');
    const expected = singleCounts(bids);
    expect(expected.length).toBeGreaterThan(5);
    expect(singles.map((s) => `${s.value.auction}@${s.value.windowEnd}`).sort()).toEqual(
      expected.sort(),
    );
    // the stage's ids name it: a side output of stage two is not one of the operator's
    expect(singles[0].id).toMatch(/^TopAuctions\/top-auction\/\d+\//);
    // the operator's `single` went to its own sink: one per auction and window
    const ops = readTopic<{ operator: boolean }>(log, 'operator-singles');
    expect(ops.length).toBeGreaterThan(singles.length);
    expect(ops.every((o) => o.value.operator && /^TopAuctions\/\d+\//.test(o.id))).toBe(true);
    expect(readTopic(log, 'late')).toEqual([]);
  });

  it('reads each stage’s side output in the harness', async () => {
    const bids = generateBids({ count: 100, seed: 8, windows: 4 });
    const harness = await PipelineHarness.create({ job: graphJob() });
    await harness.push('bids', ...bids);
    await harness.endOfInput();
    expect(rankedOf(harness.output<Ranked>())).toEqual(expectedRanked(expectedTop(bids)).sort());
    const singles = harness.sideOutput<AuctionCount>('single', 'top-auction');
    expect(singles.map((s) => `${s.auction}@${s.windowEnd}`).sort()).toEqual(
      singleCounts(bids).sort(),
    );
    const ops = harness.sideOutput<{ operator: boolean }>('single', 'count-bids');
    expect(ops.length).toBeGreaterThan(0);
    expect(ops.every((o) => o.operator)).toBe(true);
    expect(harness.sideOutput('single')).toHaveLength(ops.length + singles.length);
    expect(harness.stream<Labelled>('labelled').length).toBe(expectedTop(bids).length);
    expect(() => harness.sideOutput('single', 'nope')).toThrow(
      'no stage "nope" (stages: count-bids, top-auction, wins)',
    );
    harness.close();
  });

  it('refuses keyed stages that skip the chain before them', () => {
    const job = graphJob();
    const [first, second] = job.keyedStages ?? [];
    expect(() =>
      checkJob({
        ...job,
        keyedStages: [
          { ...first, input: 'auction-counts' },
          { ...second, input: 'tops' },
        ],
      }),
    ).toThrow(
      'job "TopAuctions" is not valid:\n' +
        '  - keyed stage "top-auction" reads "auction-counts", which stage "non-empty" reads too: a keyed stage reads where the chain after the stage before it ends ("counts" or further)\n' +
        '  - keyed stage "wins" reads "tops", which stage "label" reads too: a keyed stage reads where the chain after the stage before it ends ("labelled" or further)',
    );
  });
});

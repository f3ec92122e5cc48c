/**
 * The shapes a job of keyed stages may take beyond operator → stage: chain stages
 * between two keyed stages and after the last one, and side outputs of a keyed stage
 * routed to sinks of its own. Run embedded (through the exchange) and in the harness.
 */
import {
  checkJob,
  EmbeddedLog,
  HEADER_ID,
  launchJob,
  silentLogger,
  type ElementContext,
  type JobSpec,
} from '../src';
import { PipelineHarness } from '../src/testing';
import {
  expectedTop,
  generateBids,
  sortTop,
  topAuctionJob,
  TopPerCategory,
  type AuctionCount,
  type TopAuction,
} from './top-auction-job';

jest.setTimeout(60_000);

/** Stage two, also sending every count of a single bid to its `single` side output. */
class TopNotingSingles extends TopPerCategory {
  override processElement(count: AuctionCount, ctx: ElementContext<TopAuction>) {
    if (count.count === 1) ctx.output('single', count);
    super.processElement(count, ctx);
  }
}

type Labelled = TopAuction & { label: string };

/**
 * TopAuctions with a chain between the stages (counts of zero dropped, none are) and
 * one after the last (each top labelled), and stage two's side output to its own sink.
 */
function graphJob(): JobSpec {
  const job = topAuctionJob();
  const [stage] = job.keyedStages ?? [];
  return {
    ...job,
    stages: [
      {
        kind: 'chain',
        id: 'non-empty',
        input: 'auction-counts',
        output: 'counts',
        create: () => [{ kind: 'filter', name: 'counted', fn: (c: AuctionCount) => c.count > 0 }],
      },
      {
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
    ],
  };
}

const labelled = (top: readonly TopAuction[]): Labelled[] =>
  top.map((t) => ({ ...t, label: `${t.category}:${t.auction}` }));

/** The auction counts of one bid, as stage one emits them. */
function singleCounts(bids: ReturnType<typeof generateBids>): string[] {
  const counts = new Map<string, number>();
  for (const b of bids) {
    const id = `${b.auction}@${Math.floor(b.ts / 10_000) * 10_000 + 10_000}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n === 1).map(([id]) => id);
}

function read<T>(log: EmbeddedLog, topic: string): Array<{ id: string; value: T }> {
  const out: Array<{ id: string; value: T }> = [];
  for (let p = 0; p < log.partitionCount(topic); p++) {
    for (const r of log.read(topic, p, 0, 1_000_000).records) {
      out.push({ id: r.headers[HEADER_ID], value: JSON.parse(r.value) as T });
    }
  }
  return out;
}

describe('chain stages between and after keyed stages, side outputs per stage', () => {
  it('runs embedded: tops labelled after the last stage, its side output in its own sink', async () => {
    // few bids over many windows, so some auctions get a single bid in a window
    const bids = generateBids({ count: 400, seed: 5, windows: 12 });
    const log = new EmbeddedLog(2);
    log.createTopic('bids', 2);
    log.append(
      'bids',
      bids.map((b) => ({ key: b.auction, value: JSON.stringify(b), timestamp: b.ts })),
    );
    log.seal('bids');
    await launchJob({
      job: graphJob(),
      sinks: ['top', 'late', 'singles', 'dead-letters'],
      log,
      logger: silentLogger,
      checkpointIntervalMs: 50,
    }).run();
    const top = read<Labelled>(log, 'top');
    expect(sortTop(top.map((t) => t.value))).toEqual(labelled(expectedTop(bids)));
    expect(new Set(top.map((t) => t.id)).size).toBe(top.length);
    const singles = read<AuctionCount>(log, 'singles');
    const expected = singleCounts(bids);
    expect(expected.length).toBeGreaterThan(5);
    expect(singles.map((s) => `${s.value.auction}@${s.value.windowEnd}`).sort()).toEqual(
      expected.sort(),
    );
    // the stage's ids name it: a side output of stage two is not one of the operator's
    expect(singles[0].id).toMatch(/^TopAuctions\/top-auction\/\d+\//);
    expect(read(log, 'late')).toEqual([]);
  });

  it('reads each stage’s side output in the harness', async () => {
    const bids = generateBids({ count: 100, seed: 8, windows: 4 });
    const harness = await PipelineHarness.create({ job: graphJob() });
    await harness.push('bids', ...bids);
    await harness.endOfInput();
    expect(sortTop(harness.output<Labelled>())).toEqual(labelled(expectedTop(bids)));
    const singles = harness.sideOutput<AuctionCount>('single', 'top-auction');
    expect(singles.map((s) => `${s.auction}@${s.windowEnd}`).sort()).toEqual(
      singleCounts(bids).sort(),
    );
    expect(harness.sideOutput('single', 'count-bids')).toEqual([]);
    expect(() => harness.sideOutput('single', 'nope')).toThrow(
      'no stage "nope" (stages: count-bids, top-auction)',
    );
    harness.close();
  });

  it('refuses a keyed stage that skips the chain before it', () => {
    const job = graphJob();
    const [stage] = job.keyedStages ?? [];
    expect(() =>
      checkJob({ ...job, keyedStages: [{ ...stage, input: 'auction-counts' }] }),
    ).toThrow(
      'keyed stage "top-auction" reads "auction-counts", but the stream before it is "counts"',
    );
  });
});

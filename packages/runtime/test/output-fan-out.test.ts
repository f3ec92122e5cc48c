/**
 * Fan-out after the operator and after a keyed stage: the stream either writes may feed
 * several chain stages, one branch going on (to the next keyed stage, or the main
 * output), the others ending in sinks that copy their streams. TopAuctions with the
 * counts of one bid split off before the top stage, and the big tops split off after it.
 */
import { checkJob, type JobSpec } from '../src';
import { PipelineHarness } from '../src/testing';
import { readTopic, runOnBids } from './embedded-topics';
import {
  expectedTop,
  generateBids,
  labelStage,
  singleCounts,
  topAuctionJob,
  type Labelled,
  type AuctionCount,
  type TopAuction,
} from './top-auction-job';

jest.setTimeout(60_000);

function fanOutJob(): JobSpec {
  const job = topAuctionJob();
  const [top] = job.keyedStages ?? [];
  const filter = <T>(id: string, input: string, output: string, fn: (v: T) => boolean) => ({
    kind: 'chain' as const,
    id,
    input,
    output,
    create: () => [{ kind: 'filter' as const, name: id, fn }],
  });
  return {
    ...job,
    stages: [
      // after the operator: one branch into the top stage, one to a sink
      filter('counted', 'auction-counts', 'counts', (c: AuctionCount) => c.count > 0),
      filter('one-bid', 'auction-counts', 'single-counts', (c: AuctionCount) => c.count === 1),
      // after the top stage: one branch to the main output, one to a sink
      labelStage(),
      filter('big', 'tops', 'big-tops', (t: TopAuction) => t.count >= 4),
    ],
    keyedStages: [{ ...top, input: 'counts', output: 'tops' }],
    outputs: {
      ...job.outputs,
      streams: { 'single-counts': 'singles', 'big-tops': 'big' },
    },
  };
}

const countIds = (counts: readonly AuctionCount[]) =>
  counts.map((c) => `${c.auction}@${c.windowEnd}`).sort();
const topIds = (tops: readonly TopAuction[]) =>
  tops.map((t) => `${t.category}@${t.windowEnd}:${t.auction}`).sort();

describe('fan-out after the operator and after a keyed stage', () => {
  // few bids over many windows: some windows of an auction hold a single bid
  const bids = generateBids({ count: 400, seed: 5, windows: 12 });
  const expected = expectedTop(bids);
  const big = expected.filter((t) => t.count >= 4);

  it('runs embedded: each branch in its sink, the main one on to the next stage and the output', async () => {
    expect(big.length).toBeGreaterThan(0);
    expect(big.length).toBeLessThan(expected.length);
    const log = await runOnBids(fanOutJob(), bids, [
      'top',
      'late',
      'singles',
      'big',
      'dead-letters',
    ]);
    const labelled = readTopic<Labelled>(log, 'top').map((r) => r.value);
    expect(topIds(labelled)).toEqual(topIds(expected));
    expect(labelled.every((t) => t.label === `${t.category}:${t.auction}`)).toBe(true);
    const singles = readTopic<AuctionCount>(log, 'singles');
    expect(singles.length).toBeGreaterThan(5);
    expect(countIds(singles.map((s) => s.value))).toEqual(singleCounts(bids).sort());
    // written by the operator's tasks, the big tops by the stage's
    expect(singles[0].id).toMatch(/^TopAuctions\/\d+\//);
    const bigTops = readTopic<TopAuction>(log, 'big');
    expect(topIds(bigTops.map((t) => t.value))).toEqual(topIds(big));
    expect(bigTops[0].id).toMatch(/^TopAuctions\/top-auction\/\d+\//);
    const ids = [...singles, ...bigTops, ...readTopic(log, 'top')].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(readTopic(log, 'dead-letters')).toEqual([]);
  });

  it('reads each copied branch in the harness', async () => {
    const harness = await PipelineHarness.create({ job: fanOutJob() });
    await harness.push('bids', ...bids);
    await harness.endOfInput();
    expect(topIds(harness.output<Labelled>())).toEqual(topIds(expected));
    expect(countIds(harness.copied<AuctionCount>('single-counts'))).toEqual(
      singleCounts(bids).sort(),
    );
    expect(topIds(harness.copied<TopAuction>('big-tops'))).toEqual(topIds(big));
    harness.close();
  });

  it('refuses branches that end nowhere or twice in the main output', () => {
    const job = fanOutJob();
    const { 'big-tops': _big, ...onlySingles } = job.outputs.streams ?? {};
    expect(() => checkJob({ ...job, outputs: { ...job.outputs, streams: onlySingles } })).toThrow(
      'the streams after keyed stage "top-auction" end in the main output twice ("labelled" and "big-tops"); copy all but one to a sink (outputs.streams)',
    );
    const { 'single-counts': _singles, ...onlyBig } = job.outputs.streams ?? {};
    expect(() => checkJob({ ...job, outputs: { ...job.outputs, streams: onlyBig } })).toThrow(
      'stream "single-counts" after operator "count-bids" is written but never read: read it in the next keyed stage, or copy it to a sink (outputs.streams)',
    );
  });
});

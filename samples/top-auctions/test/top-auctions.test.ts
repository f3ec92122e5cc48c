/**
 * TopAuctions on the embedded backends: two keyed stages across a repartition (the
 * embedded log carries the exchange), against the direct computation.
 */
import { EmbeddedLog, HEADER_ID, launchJob, silentLogger } from '@stream-gen/runtime';
import { PipelineHarness } from '@stream-gen/runtime/testing';
import {
  generateBids,
  inOrder,
  referenceTop,
  topAuctionsJob,
  type AuctionCount,
  type Bid,
  type TopAuction,
} from '../src';

function runEmbedded(bids: readonly Bid[], partitions: number) {
  const log = new EmbeddedLog(partitions);
  log.createTopic('bids', partitions);
  log.append(
    'bids',
    bids.map((b) => ({ key: b.auction, value: JSON.stringify(b) })),
  );
  log.seal('bids');
  const read = <T>(topic: string) =>
    Array.from({ length: log.partitionCount(topic) }, (_, p) => log.read(topic, p, 0, 1e6).records)
      .flat()
      .map((r) => ({ id: r.headers[HEADER_ID], value: JSON.parse(r.value) as T }));
  return launchJob({
    job: topAuctionsJob(),
    sinks: ['top', 'late', 'dead-letters'],
    log,
    logger: silentLogger,
  })
    .run()
    .then(() => ({ top: read<TopAuction>('top'), late: read<Bid>('late') }));
}

describe('TopAuctions', () => {
  it('outputs the top auction per category and window, as computed directly, on 1 and 3 tasks', async () => {
    const bids = generateBids({ bids: 6_000, seed: 3 });
    for (const partitions of [1, 3]) {
      const { top, late } = await runEmbedded(bids, partitions);
      expect(late).toEqual([]);
      expect(inOrder(top.map((t) => t.value))).toEqual(referenceTop(bids));
      expect(new Set(top.map((t) => t.id)).size).toBe(top.length);
      expect(top[0].id).toMatch(/^TopAuctions\/top-auction\/\d+\/event-timer@\d+:category-\d#0$/);
    }
  });

  it('sends a bid behind the watermark to late, and counts it nowhere', async () => {
    const bids = generateBids({ bids: 3_000, seed: 8 });
    const stale: Bid = { ...bids[0], bidId: 'stale', ts: bids[0].ts - 60_000 };
    const { top, late } = await runEmbedded([...bids, stale], 1);
    expect(late.map((l) => l.value.bidId)).toEqual(['stale']);
    expect(inOrder(top.map((t) => t.value))).toEqual(referenceTop(bids));
  });

  it('in the pipeline harness: the counts stage one sends, each stage state, the result', async () => {
    const bids = generateBids({ bids: 1_000, seed: 5 });
    const harness = await PipelineHarness.create({ job: topAuctionsJob() });
    await harness.push('bids', ...bids);
    expect(await harness.state('CountBids', 'category', bids[0].auction)).toBe(bids[0].category);
    await harness.endOfInput();
    const counts = harness.stream<AuctionCount>('auction-counts');
    expect(counts.reduce((n, c) => n + c.bids, 0)).toBe(bids.length);
    expect(inOrder(harness.output<TopAuction>())).toEqual(referenceTop(bids));
    harness.close();
  });
});

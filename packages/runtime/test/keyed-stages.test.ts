/**
 * Two keyed stages across a repartition on the embedded log: the per-auction counts of
 * stage one reach the per-category stage through the exchange, keyed anew, and the
 * result equals what the bids give when computed directly.
 */
import { EmbeddedLog, HEADER_ID, launchJob, silentLogger } from '../src';
import {
  expectedTop,
  generateBids,
  sortTop,
  topAuctionJob,
  type TopAuction,
} from './top-auction-job';

function runOnLog(log: EmbeddedLog, env: NodeJS.ProcessEnv = {}) {
  return launchJob({
    job: topAuctionJob(),
    sinks: ['top', 'late', 'dead-letters'],
    log,
    env,
    logger: silentLogger,
    checkpointIntervalMs: 50,
  }).run();
}

function filledLog(partitions: number, bids: ReturnType<typeof generateBids>): EmbeddedLog {
  const log = new EmbeddedLog(partitions);
  log.createTopic('bids', partitions);
  log.append(
    'bids',
    bids.map((b) => ({ key: b.auction, value: JSON.stringify(b), timestamp: b.ts })),
  );
  log.seal('bids');
  return log;
}

function topOf(log: EmbeddedLog): Array<{ id: string; value: TopAuction }> {
  const out: Array<{ id: string; value: TopAuction }> = [];
  for (let p = 0; p < log.partitionCount('top'); p++) {
    for (const r of log.read('top', p, 0, 1_000_000).records) {
      out.push({ id: r.headers[HEADER_ID], value: JSON.parse(r.value) as TopAuction });
    }
  }
  return out;
}

describe('keyed stage behind a repartition (embedded)', () => {
  it('gives the top auction per category and window, as computed directly', async () => {
    const bids = generateBids({ count: 2_000, seed: 7 });
    const log = filledLog(3, bids);
    const summary = await runOnLog(log);
    const top = topOf(log);
    expect(sortTop(top.map((t) => t.value))).toEqual(expectedTop(bids));
    // outputs of the stage's timers are named after its task and the timer
    expect(top[0].id).toMatch(/^TopAuctions\/top-auction\/\d+\/event-timer@\d+:c\d#0$/);
    expect(new Set(top.map((t) => t.id)).size).toBe(top.length);
    expect(log.partitionCount('TopAuctions.top-auction.repartition')).toBe(3);
    expect(summary.tasks).toBe(6);
  });

  it('gives the same outputs, ids included, whatever the batching', async () => {
    const bids = generateBids({ count: 600, seed: 3 });
    const a = filledLog(2, bids);
    const b = filledLog(2, bids);
    await runOnLog(a);
    await runOnLog(b, { STREAM_GEN_CHECKPOINT_INTERVAL_MS: '1' });
    const byId = (log: EmbeddedLog) =>
      topOf(log)
        .map((t) => `${t.id} ${JSON.stringify(t.value)}`)
        .sort();
    expect(byId(b)).toEqual(byId(a));
  });
});

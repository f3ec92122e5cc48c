/**
 * A union of three streams into one keyed function, and an intermediate stream that
 * feeds a keyed stage and a sink at once (fan-out), on the embedded log.
 */
import { checkJob, EmbeddedLog, launchJob, silentLogger, type JobSpec } from '../src';
import {
  expectedTop,
  generateBids,
  sortTop,
  topAuctionJob,
  type AuctionCount,
  type TopAuction,
} from './top-auction-job';
import {
  countMismatches,
  DEVICES,
  generateClicks,
  unionJob,
  UNION_SINK,
  type UserCount,
} from './union-job';

function readAll<T>(log: EmbeddedLog, topic: string): T[] {
  return Array.from({ length: log.partitionCount(topic) }, (_, p) =>
    log.read(topic, p, 0, 1e6).records.map((r) => JSON.parse(r.value) as T),
  ).flat();
}

describe('union', () => {
  it('counts every click of a user once, whichever stream and partition it came through', async () => {
    const log = new EmbeddedLog(2);
    const clicks = generateClicks({ perDevice: 200, users: 13 });
    for (const device of DEVICES) {
      log.createTopic(device, 2);
      // spread over both partitions whatever the user: the union's inputs are read whole
      log.append(
        device,
        clicks[device].map((c, i) => ({ value: JSON.stringify(c), partition: i % 2 })),
      );
      log.seal(device);
    }
    await launchJob({ job: unionJob(), sinks: [UNION_SINK], log, logger: silentLogger }).run();
    const out = readAll<UserCount>(log, UNION_SINK);
    expect(out).toHaveLength(600);
    // one task counted each user: its counts are 1..n, each once, n its clicks
    expect(countMismatches(clicks, out)).toEqual([]);
  });

  it('needs two or more different streams', () => {
    const job = unionJob();
    expect(() =>
      checkJob({ ...job, operator: { ...job.operator, inputs: ['web'] } as JobSpec['operator'] }),
    ).toThrow('union "count" reads 1 stream(s); a union needs two or more (a process reads one)');
    expect(() =>
      checkJob({
        ...job,
        operator: { ...job.operator, inputs: ['web', 'app', 'web'] } as JobSpec['operator'],
      }),
    ).toThrow('operator "count" reads stream "web" twice; its inputs must be different streams');
  });
});

describe('fan-out of an intermediate stream', () => {
  it('writes the stream a keyed stage reads to a sink as well', async () => {
    const bids = generateBids({ count: 800, seed: 12 });
    const log = new EmbeddedLog(2);
    log.createTopic('bids', 2);
    log.append(
      'bids',
      bids.map((b) => ({ key: b.auction, value: JSON.stringify(b) })),
    );
    log.seal('bids');
    const job = topAuctionJob();
    await launchJob({
      job: { ...job, outputs: { ...job.outputs, streams: { 'auction-counts': 'counts' } } },
      sinks: ['top', 'counts', 'late', 'dead-letters'],
      log,
      logger: silentLogger,
    }).run();
    const counts = readAll<AuctionCount>(log, 'counts');
    expect(counts.reduce((n, c) => n + c.count, 0)).toBe(bids.length);
    expect(sortTop(readAll<TopAuction>(log, 'top'))).toEqual(expectedTop(bids));
  });

  it('refuses a stream it cannot copy', () => {
    const job = topAuctionJob();
    expect(() =>
      checkJob({ ...job, outputs: { ...job.outputs, streams: { top: 'copy' } } }),
    ).toThrow(
      `outputs.streams names "top", which is neither a stream of the sources' stages nor one after the operator or a keyed stage (streams that can go to a sink too: bids, auction-counts)`,
    );
  });
});

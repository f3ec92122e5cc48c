/**
 * A union of three streams into one keyed function, and an intermediate stream that
 * feeds a keyed stage and a sink at once (fan-out), on the embedded log.
 */
import {
  checkJob,
  EmbeddedLog,
  launchJob,
  silentLogger,
  type ElementContext,
  type JobSpec,
  type RuntimeContext,
  type ValueState,
} from '../src';
import {
  expectedTop,
  generateBids,
  sortTop,
  topAuctionJob,
  type AuctionCount,
  type TopAuction,
} from './top-auction-job';

interface Click {
  user: string;
  ts: number;
}

/** The running count of each user's clicks, over every input, with the input named. */
class CountClicks {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState<number>('count');
  }
  processElement(click: Click, ctx: ElementContext<{ user: string; count: number; via: string }>) {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ user: click.user, count, via: ctx.input });
  }
}

const DEVICES = ['web', 'app', 'tv'] as const;

function unionJob(): JobSpec {
  return {
    name: 'AllClicks',
    sources: DEVICES.map((name) => ({
      name,
      key: (c: Click) => c.user,
      eventTime: { timestamp: (c: Click) => c.ts, maxOutOfOrdernessMs: 1e12 },
    })),
    operator: {
      kind: 'union',
      name: 'count',
      inputs: [...DEVICES],
      create: () => new CountClicks(),
    },
    outputs: { main: 'counts' },
  };
}

function readAll<T>(log: EmbeddedLog, topic: string): T[] {
  return Array.from({ length: log.partitionCount(topic) }, (_, p) =>
    log.read(topic, p, 0, 1e6).records.map((r) => JSON.parse(r.value) as T),
  ).flat();
}

describe('union', () => {
  it('counts every click of a user once, whichever stream and partition it came through', async () => {
    const log = new EmbeddedLog(2);
    const totals = new Map<string, number>();
    DEVICES.forEach((device, d) => {
      log.createTopic(device, 2);
      const clicks = Array.from({ length: 200 }, (_, i) => ({
        user: `u${(i * 7 + d) % 13}`,
        ts: i,
      }));
      for (const c of clicks) totals.set(c.user, (totals.get(c.user) ?? 0) + 1);
      // spread over both partitions whatever the user: the union's inputs are read whole
      log.append(
        device,
        clicks.map((c, i) => ({ value: JSON.stringify(c), partition: i % 2 })),
      );
      log.seal(device);
    });
    await launchJob({ job: unionJob(), sinks: ['counts'], log, logger: silentLogger }).run();
    const out = readAll<{ user: string; count: number; via: string }>(log, 'counts');
    expect(out).toHaveLength(600);
    const byUser = new Map<string, number[]>();
    for (const o of out) byUser.set(o.user, [...(byUser.get(o.user) ?? []), o.count]);
    for (const [user, counts] of byUser) {
      // one task counted each user: its counts are 1..n, each once
      expect(counts.sort((a, b) => a - b)).toEqual(
        Array.from({ length: totals.get(user) ?? 0 }, (_, i) => i + 1),
      );
    }
    expect(new Set(out.map((o) => o.via))).toEqual(new Set(DEVICES));
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

  it('refuses a stream no keyed stage reads', () => {
    const job = topAuctionJob();
    expect(() =>
      checkJob({ ...job, outputs: { ...job.outputs, streams: { bids: 'copy' } } }),
    ).toThrow(
      'outputs.streams names "bids", which no keyed stage reads (streams that can go to a sink too: auction-counts)',
    );
  });
});

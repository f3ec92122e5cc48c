/**
 * HotItems on the embedded backends: a sliding-window stage and a keyed stage across a
 * repartition (the embedded log carries the exchange), against the direct computation.
 */
import { EmbeddedLog, HEADER_ID, launchJob, silentLogger } from '@stream-gen/runtime';
import { PipelineHarness, seededRandom } from '@stream-gen/runtime/testing';
import {
  generateBids,
  hotItemsJob,
  inOrder,
  referenceHotItems,
  WINDOW_SIZE_MS,
  type AuctionCount,
  type Bid,
  type HotItem,
} from '../src';

const T0 = Date.UTC(2026, 11, 1);

/**
 * The bids shuffled within runs of `run` consecutive ones (seeded): at 50 bids a second
 * a run of 40 spans 0.8 s, so with the generator's 9 s the disorder stays under 10 s.
 */
function shuffled(bids: readonly Bid[], seed: number, run = 40): Bid[] {
  const random = seededRandom(seed);
  const out = [...bids];
  for (let from = 0; from < out.length; from += run) {
    const to = Math.min(out.length, from + run);
    for (let i = to - 1; i > from; i--) {
      const j = from + Math.floor(random() * (i - from + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
  }
  return out;
}

function runEmbedded(bids: readonly Bid[], partitions: number) {
  const log = new EmbeddedLog(partitions);
  log.createTopic('bids', partitions);
  log.append(
    'bids',
    bids.map((b) => ({ key: String(b.auction), value: JSON.stringify(b) })),
  );
  log.seal('bids');
  const read = <T>(topic: string) =>
    Array.from({ length: log.partitionCount(topic) }, (_, p) => log.read(topic, p, 0, 1e6).records)
      .flat()
      .map((r) => ({ id: r.headers[HEADER_ID], value: JSON.parse(r.value) as T }));
  return launchJob({
    job: hotItemsJob(),
    sinks: ['hot-items', 'late', 'dead-letters'],
    log,
    logger: silentLogger,
  })
    .run()
    .then(() => ({
      hot: read<HotItem>('hot-items'),
      late: read<Bid>('late'),
      dead: read<unknown>('dead-letters'),
    }));
}

/** Windows with more than one hot item: ties. */
function tiedWindows(items: readonly HotItem[]): number {
  const per = new Map<number, number>();
  for (const h of items) per.set(h.windowStart, (per.get(h.windowStart) ?? 0) + 1);
  return [...per.values()].filter((n) => n > 1).length;
}

describe('HotItems', () => {
  it('outputs the hot items of every window, as computed directly, on 1 and 3 tasks', async () => {
    const bids = shuffled(generateBids({ bids: 3_000, seed: 3 }), 4);
    const expected = referenceHotItems(bids);
    // a minute of bids: 34 windows, some with ties, the top not always the same auction
    expect(new Set(expected.map((h) => h.windowStart)).size).toBe(34);
    expect(tiedWindows(expected)).toBeGreaterThan(1);
    expect(new Set(expected.map((h) => h.auction)).size).toBeGreaterThan(3);
    for (const partitions of [1, 3]) {
      const { hot, late, dead } = await runEmbedded(bids, partitions);
      expect({ late, dead }).toEqual({ late: [], dead: [] });
      expect(inOrder(hot.map((h) => h.value))).toEqual(expected);
      expect(new Set(hot.map((h) => h.id)).size).toBe(hot.length);
      // the windows spread over the stage's tasks
      const tasks = new Set(hot.map((h) => h.id.split('/')[2]));
      expect(tasks.size).toBe(partitions);
      for (const { id, value } of hot) {
        expect(id).toMatch(
          new RegExp(
            `^HotItems/hot-items/\\d+/event-timer@${value.windowEnd - 1}:${value.windowEnd}#\\d+$`,
          ),
        );
      }
    }
  });

  it('emits one record per tied auction, in auction order, with ids #0, #1, ...', async () => {
    // window [T0, T0 + 10 s): auctions 10 and 9 have two bids each, 5 has one (as keys,
    // '10' sorts before '9': the order is the auctions' as numbers)
    const at = (auction: number, dt: number): Bid => ({
      auction,
      bidder: 1,
      price: 100,
      dateTime: T0 + dt,
    });
    const bids = [at(9, 8_500), at(5, 8_600), at(10, 8_700), at(9, 9_000), at(10, 9_100)];
    const { hot } = await runEmbedded(bids, 1);
    const first = hot.filter((h) => h.value.windowStart === T0);
    expect(first).toEqual([
      {
        id: `HotItems/hot-items/0/event-timer@${T0 + WINDOW_SIZE_MS - 1}:${T0 + WINDOW_SIZE_MS}#0`,
        value: { windowStart: T0, windowEnd: T0 + WINDOW_SIZE_MS, auction: 9, count: 2 },
      },
      {
        id: `HotItems/hot-items/0/event-timer@${T0 + WINDOW_SIZE_MS - 1}:${T0 + WINDOW_SIZE_MS}#1`,
        value: { windowStart: T0, windowEnd: T0 + WINDOW_SIZE_MS, auction: 10, count: 2 },
      },
    ]);
    expect(inOrder(hot.map((h) => h.value))).toEqual(referenceHotItems(bids));
  });

  it('sends a bid behind the watermark to late, and counts it nowhere', async () => {
    const bids = generateBids({ bids: 2_000, seed: 8 });
    const stale: Bid = { ...bids[1500], bidder: 999_999, dateTime: bids[0].dateTime - 60_000 };
    const input = [...bids.slice(0, 1500), stale, ...bids.slice(1500)];
    const { hot, late } = await runEmbedded(input, 1);
    expect(late.map((l) => l.value)).toEqual([stale]);
    expect(late[0].id).toMatch(/^HotItems\/0\//);
    expect(inOrder(hot.map((h) => h.value))).toEqual(referenceHotItems(bids));
  });

  it('in the pipeline harness: each bid counted in five windows, a window out once the watermark reaches its end - 1', async () => {
    const bids = generateBids({ bids: 1_000, seed: 5 });
    const expected = referenceHotItems(bids);
    const harness = await PipelineHarness.create({ job: hotItemsJob() });
    const firstEnd = expected[0].windowEnd;
    // the bids up to 9.5 s past the first window's end: all of that window's are in
    // (they arrive less than 9 s behind), the watermark is still 0.5 s before its end
    const cut = bids.findIndex((b) => b.dateTime > firstEnd + 9_500);
    await harness.push('bids', ...bids.slice(0, cut));
    await harness.advanceWatermark(firstEnd - 2);
    expect(harness.output<HotItem>()).toEqual([]);
    expect(harness.stream<AuctionCount>('auction-counts')).toEqual([]);
    await harness.advanceWatermark(firstEnd - 1);
    // the first window fired: its counts crossed the repartition, its hot items are out
    const inFirst = bids.filter((b) => b.dateTime < firstEnd).length;
    const firstCounts = harness.stream<AuctionCount>('auction-counts');
    expect(firstCounts.every((c) => c.windowEnd === firstEnd)).toBe(true);
    expect(firstCounts.reduce((n, c) => n + c.count, 0)).toBe(inFirst);
    expect(harness.output<HotItem>()).toEqual(expected.filter((h) => h.windowEnd === firstEnd));
    expect(await harness.state('hot-items', 'top', String(firstEnd))).toBeUndefined();
    await harness.push('bids', ...bids.slice(cut));
    await harness.endOfInput();
    const counts = harness.stream<AuctionCount>('auction-counts');
    expect(counts.reduce((n, c) => n + c.count, 0)).toBe(5 * bids.length);
    expect(inOrder(harness.output<HotItem>())).toEqual(expected);
    harness.close();
  });
});

/**
 * The batch fold on hand-made records (last writer wins per asset, a delete winning a
 * tie, full publishes restoring what they list) and over shuffled generated data, and
 * the generator: seeded, out of order within its bound, with deletes that change the
 * view and both outcomes of a full publish.
 */
import { seededRandom } from '@stream-gen/runtime/testing';
import { generateAssets } from '../src/asset-generator';
import { viewKey, type AssetEvent } from '../src/model';
import { foldAssets, sortedView } from '../src/reference';

const T0 = Date.UTC(2026, 11, 1);
const added = (assetId: string, ts: number, cdn = 'cdn-0'): AssetEvent => ({
  assetId,
  movieId: 'm-001',
  cdn,
  op: 'added',
  ts: T0 + ts,
});
const deleted = (assetId: string, ts: number, cdn = 'cdn-0'): AssetEvent => ({
  ...added(assetId, ts, cdn),
  op: 'deleted',
});
const view = (records: AssetEvent[]) => sortedView(foldAssets(records));

/** A Fisher-Yates shuffle from one seed. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The key and asset of a record, as one string. */
const cellOf = (r: AssetEvent) => `${viewKey(r)}/${r.assetId}`;

describe('foldAssets', () => {
  it('keys the view by cdn and movie, each asset with the time of the add that holds it', () => {
    expect(viewKey({ cdn: 'cdn-3', movieId: 'm-017' })).toBe('cdn-3:m-017');
    expect(view([added('a-2', 5), added('a-1', 7), added('a-1', 3, 'cdn-1')])).toEqual({
      'cdn-0:m-001': { 'a-1': T0 + 7, 'a-2': T0 + 5 },
      'cdn-1:m-001': { 'a-1': T0 + 3 },
    });
  });

  it('removes an asset deleted after its add, and the key once it holds none', () => {
    expect(view([added('a-1', 10), added('a-2', 10), deleted('a-1', 20)])).toEqual({
      'cdn-0:m-001': { 'a-2': T0 + 10 },
    });
    expect(foldAssets([added('a-1', 10), deleted('a-1', 20)]).size).toBe(0);
  });

  it('restores an asset added after its delete; an add older than the delete does not', () => {
    expect(view([added('a-1', 10), deleted('a-1', 20), added('a-1', 30)])).toEqual({
      'cdn-0:m-001': { 'a-1': T0 + 30 },
    });
    expect(foldAssets([deleted('a-1', 20), added('a-1', 19)]).size).toBe(0);
  });

  it('keeps the latest add: a re-add refreshes the time, an older one arriving after it does not', () => {
    expect(view([added('a-1', 10), added('a-1', 30), added('a-1', 20)])).toEqual({
      'cdn-0:m-001': { 'a-1': T0 + 30 },
    });
  });

  it('lets a delete win over an add at the same time, in either order', () => {
    expect(foldAssets([added('a-1', 10), deleted('a-1', 10)]).size).toBe(0);
    expect(foldAssets([deleted('a-1', 10), added('a-1', 10)]).size).toBe(0);
  });

  it('takes a full publish as adds at its time: restores what it lists, until a later delete', () => {
    const T = 100;
    const events = [
      added('restored', 10),
      deleted('restored', T - 5),
      added('deleted-after', 10),
      deleted('deleted-after', T + 5),
      added('deleted-at-T', 10),
      deleted('deleted-at-T', T),
      added('unlisted', 10),
      added('gone', 10),
      deleted('gone', 50),
    ];
    const publish = ['restored', 'deleted-after', 'deleted-at-T'].map((id) => added(id, T));
    expect(view([...events, ...publish])).toEqual({
      'cdn-0:m-001': { restored: T0 + T, unlisted: T0 + 10 },
    });
    expect(view(events)).toEqual({ 'cdn-0:m-001': { unlisted: T0 + 10 } });
  });

  it('gives the same view whatever the order of events and full publishes', () => {
    const { events, fullPublishes } = generateAssets({ seed: 5, events: 4_000 });
    const records = [...events, ...fullPublishes.flat()];
    const expected = JSON.stringify(view(records));
    for (const seed of [1, 2, 3])
      expect(JSON.stringify(view(shuffled(records, seed)))).toBe(expected);
    expect(JSON.stringify(view([...records].reverse()))).toBe(expected);
    expect(foldAssets([]).size).toBe(0);
  });

  it('sortedView sorts keys and asset ids', () => {
    const sorted = view([added('a-9', 1, 'cdn-1'), added('a-3', 1), added('a-1', 2)]);
    expect(Object.keys(sorted)).toEqual(['cdn-0:m-001', 'cdn-1:m-001']);
    expect(Object.keys(sorted['cdn-0:m-001'])).toEqual(['a-1', 'a-3']);
  });
});

describe('generateAssets', () => {
  const data = generateAssets({ seed: 1 });
  const { events, fullPublishes } = data;
  const all = foldAssets([...events, ...fullPublishes.flat()]);

  it('is seeded: the same seed, the same data', () => {
    expect(generateAssets({ seed: 1 })).toEqual(data);
    expect(generateAssets({ seed: 2 }).events).not.toEqual(events);
  });

  it('makes 20 000 events on 40 movies x 4 CDNs, mostly adds, in well under 5 MB', () => {
    expect(events).toHaveLength(20_000);
    expect(new Set(events.map(viewKey)).size).toBe(160);
    const deletes = events.filter((e) => e.op === 'deleted').length;
    expect(deletes).toBeGreaterThan(2_000);
    expect(deletes).toBeLessThan(events.length / 2);
    const bytes = [...events, ...fullPublishes.flat()].reduce(
      (sum, r) => sum + JSON.stringify(r).length + 1,
      0,
    );
    expect(bytes).toBeLessThan(2.5e6);
  });

  it('arrives out of order, each event less than 2 s behind the newest before it', () => {
    let newest = Number.NEGATIVE_INFINITY;
    let behind = 0;
    let most = 0;
    for (const e of events) {
      most = Math.max(most, newest - e.ts);
      if (e.ts < newest) behind++;
      newest = Math.max(newest, e.ts);
    }
    expect(most).toBeLessThan(2_000);
    expect(most).toBeGreaterThan(1_500);
    expect(behind).toBeGreaterThan(5_000);
    expect(Math.min(...events.map((e) => e.ts))).toBe(T0);
    expect(events.every((e) => Number.isInteger(e.ts))).toBe(true);
    expect(() => generateAssets({ seed: 1, maxDisorderMs: 0 })).toThrow(RangeError);
  });

  it('deletes present assets and adds deleted ones again, in event time', () => {
    // replayed in event time, a delete at the time of an add after it
    const inTime = [...events].sort((a, b) => a.ts - b.ts || (a.op === 'deleted' ? 1 : -1));
    const present = new Set<string>();
    const gone = new Set<string>();
    let removing = 0;
    let readding = 0;
    for (const e of inTime) {
      const cell = cellOf(e);
      if (e.op === 'deleted') {
        if (present.delete(cell)) removing++;
        gone.add(cell);
      } else {
        if (gone.delete(cell)) readding++;
        present.add(cell);
      }
    }
    expect(removing).toBeGreaterThan(2_000);
    expect(readding).toBeGreaterThan(1_000);
    // some with the add and the delete at one time, and the delete winning
    const times = new Map<string, Set<string>>();
    for (const e of events) {
      const at = `${cellOf(e)}@${e.ts}`;
      times.set(at, new Set([...(times.get(at) ?? []), e.op]));
    }
    expect([...times.values()].filter((ops) => ops.size === 2).length).toBeGreaterThan(50);
  });

  it('takes each full publish at one time T: all adds, every asset present just before it', () => {
    expect(fullPublishes).toHaveLength(3);
    const times = fullPublishes.map((p) => p[0].ts);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    fullPublishes.forEach((publish, k) => {
      const T = times[k];
      expect(publish.every((r) => r.op === 'added' && r.ts === T)).toBe(true);
      expect(events.some((e) => e.ts === T)).toBe(false);
      const before = foldAssets([
        ...events.filter((e) => e.ts < T),
        ...fullPublishes.slice(0, k).flat(),
      ]);
      const listed = new Set(publish.map(cellOf));
      for (const [key, assets] of before)
        for (const id of Object.keys(assets)) expect(listed.has(`${key}/${id}`)).toBe(true);
      expect(listed.size).toBe(publish.length);
    });
  });

  it('restores, by a full publish, assets deleted shortly before it; some it lists are deleted after', () => {
    let restored = 0;
    let deletedAfter = 0;
    fullPublishes.forEach((publish, k) => {
      const T = publish[0].ts;
      const before = foldAssets([
        ...events.filter((e) => e.ts < T),
        ...fullPublishes.slice(0, k).flat(),
      ]);
      for (const r of publish) {
        if (before.get(viewKey(r))?.[r.assetId] === undefined) {
          // absent before T: an event deleted it within the last second
          const last = events
            .filter((e) => cellOf(e) === cellOf(r) && e.ts < T)
            .reduce((a, b) => (b.ts > a.ts ? b : a));
          expect(last.op).toBe('deleted');
          expect(T - last.ts).toBeLessThan(1_000);
          restored++;
        }
        if (all.get(viewKey(r))?.[r.assetId] === undefined) deletedAfter++;
      }
    });
    expect(restored).toBeGreaterThanOrEqual(3);
    expect(deletedAfter).toBeGreaterThan(100);
  });

  it('leaves assets in the final view held by a full publish, with its time', () => {
    const eventsOnly = foldAssets(events);
    const times = new Set(fullPublishes.map((p) => p[0].ts));
    let held = 0;
    for (const [key, assets] of all)
      for (const [id, ts] of Object.entries(assets))
        if (eventsOnly.get(key)?.[id] !== ts) {
          expect(times.has(ts)).toBe(true);
          held++;
        }
    expect(held).toBeGreaterThan(10);
  });
});

import { seededRandom } from '@stream-gen/runtime/testing';
import type { AssetEvent } from './model';

export interface AssetGeneratorOptions {
  readonly seed: number;
  /** Events in all (default 20 000). */
  readonly events?: number;
  /** Movies (default 40), ids `m-000` on, each with `assetsPerMovie` assets (default 8). */
  readonly movies?: number;
  readonly assetsPerMovie?: number;
  /** CDNs an asset may be stored on (default 4), ids `cdn-0` on. */
  readonly cdns?: number;
  /** First event time (default 2026-12-01T00:00:00Z). */
  readonly startTs?: number;
  /** Mean step between consecutive event times, ms (default 10; each step is 1 ms or more). */
  readonly stepMs?: number;
  /** An event arrives less than this behind the newest before it, ms (default 2000). */
  readonly maxDisorderMs?: number;
  /** Full publishes, spread evenly over the stream (default 3). */
  readonly snapshots?: number;
}

export interface GeneratedAssets {
  /** In arrival order. */
  readonly events: AssetEvent[];
  /** In snapshot order, each sorted by cdn, movie and asset; all records of one share its time. */
  readonly fullPublishes: AssetEvent[][];
}

/** The window before a snapshot's time in which a delete may not have reached it, in steps. */
const RECENT_STEPS = 50;

/**
 * Seeded asset events and full publishes. The events are made in event time, each
 * choosing one asset of one (cdn, movie): a present asset is mostly added again (its
 * time refreshed), sometimes deleted; an absent one is mostly added, now and then added
 * and deleted at the same time (the delete wins) or deleted though absent (a tombstone
 * alone). They then arrive each up to `maxDisorderMs - 1` late, sorted by arrival.
 *
 * A full publish at time T lists every asset present at T, plus one or two that an
 * event deleted shortly before T (a snapshot the delete had not reached): those the
 * publish restores. Events after T go on from that state, so some assets a publish
 * lists are deleted after it and stay deleted.
 */
export function generateAssets(options: AssetGeneratorOptions): GeneratedAssets {
  const random = seededRandom(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const total = options.events ?? 20_000;
  const movies = options.movies ?? 40;
  const perMovie = options.assetsPerMovie ?? 8;
  const cdns = options.cdns ?? 4;
  const step = options.stepMs ?? 10;
  const maxDisorder = options.maxDisorderMs ?? 2000;
  const snapshots = options.snapshots ?? 3;
  for (const [name, value] of Object.entries({ movies, perMovie, cdns, step, maxDisorder })) {
    if (!(Number.isInteger(value) && value >= 1))
      throw new RangeError(`${name} must be a positive whole number, got ${value}`);
  }
  if (!(Number.isInteger(total) && total >= 0 && Number.isInteger(snapshots) && snapshots >= 0))
    throw new RangeError(`events and snapshots must be whole numbers, got ${total}, ${snapshots}`);

  // one cell per (cdn, movie, asset), numbered in the order full publishes list them
  const cells = cdns * movies * perMovie;
  const present = new Uint8Array(cells);
  const lastDelete = new Array<number>(cells).fill(Number.NEGATIVE_INFINITY);
  const record = (cell: number, op: AssetEvent['op'], ts: number): AssetEvent => {
    const asset = cell % (movies * perMovie);
    const movie = Math.floor(asset / perMovie);
    return {
      assetId: `a-${String(asset).padStart(5, '0')}`,
      movieId: `m-${String(movie).padStart(3, '0')}`,
      cdn: `cdn-${Math.floor(cell / (movies * perMovie))}`,
      op,
      ts,
    };
  };

  const timeline: AssetEvent[] = [];
  const fullPublishes: AssetEvent[][] = [];
  const snapshotAt = (k: number) => Math.floor(((k + 1) * total) / (snapshots + 1));
  let ts = options.startTs ?? Date.UTC(2026, 11, 1);
  while (timeline.length < total) {
    if (timeline.length > 0) ts += 1 + pick(2 * step - 1);
    const cell = pick(cells);
    const r = random();
    if (present[cell]) {
      const op = r < 0.3 ? 'deleted' : 'added';
      timeline.push(record(cell, op, ts));
      if (op === 'deleted') {
        present[cell] = 0;
        lastDelete[cell] = ts;
      }
    } else if (r < 0.03 && timeline.length + 2 <= total) {
      timeline.push(record(cell, 'added', ts), record(cell, 'deleted', ts));
      lastDelete[cell] = ts;
    } else if (r < 0.05) {
      timeline.push(record(cell, 'deleted', ts));
      lastDelete[cell] = ts;
    } else {
      timeline.push(record(cell, 'added', ts));
      present[cell] = 1;
    }
    while (
      fullPublishes.length < snapshots &&
      timeline.length >= snapshotAt(fullPublishes.length)
    ) {
      // T is after every event made so far, and every later event is after T
      const at = ts + 1;
      const recent = [...present.keys()].filter(
        (c) => !present[c] && lastDelete[c] > at - RECENT_STEPS * step,
      );
      for (let n = 1 + pick(2); n > 0 && recent.length > 0; n--)
        present[recent.splice(pick(recent.length), 1)[0]] = 1;
      const listed: AssetEvent[] = [];
      for (let c = 0; c < cells; c++) if (present[c]) listed.push(record(c, 'added', at));
      fullPublishes.push(listed);
      ts = at;
    }
  }

  // stable: equal arrival times keep event-time order
  const events = timeline
    .map((e) => ({ at: e.ts + pick(maxDisorder), e }))
    .sort((a, b) => a.at - b.at)
    .map((a) => a.e);
  return { events, fullPublishes };
}

import { seededRandom } from '@stream-gen/runtime/testing';
import type { Impression, Play } from './model';

export interface GeneratorOptions {
  readonly seed?: number;
  readonly profiles?: number;
  readonly titles?: number;
  readonly impressions?: number;
  /** Share of impressions followed by a play of the same title. */
  readonly playRate?: number;
  /** Event times span this long from `start`. */
  readonly spanMs?: number;
  readonly start?: number;
  /** Arrival delay of each event stays below this bound (so none is late)... */
  readonly maxDelayMs?: number;
  /** ...except this share of events, delayed far beyond it. */
  readonly lateRate?: number;
}

export interface GeneratedEvent {
  readonly topic: 'impressions' | 'plays';
  readonly value: Impression | Play;
  /** Arrival order key: event time plus a delay. */
  readonly arrival: number;
}

/** Deterministic PRNG: the same seed gives the same data everywhere. */
export const random = seededRandom;

/**
 * Impressions and plays in arrival order: shuffled by delays below `maxDelayMs`, with
 * a few events delayed far beyond it. Plays follow impressions by up to 90 min, so
 * some fall outside the 1 h window.
 */
export function generateEvents(options: GeneratorOptions = {}): GeneratedEvent[] {
  const rnd = random(options.seed ?? 42);
  const profiles = options.profiles ?? 200;
  const titles = options.titles ?? 50;
  const span = options.spanMs ?? 6 * 3_600_000;
  const start = options.start ?? Date.UTC(2026, 0, 1);
  const maxDelay = options.maxDelayMs ?? 9_000;
  const lateRate = options.lateRate ?? 0;
  const pick = (n: number) => Math.floor(rnd() * n);
  const delay = () => (rnd() < lateRate ? maxDelay + 120_000 + pick(600_000) : pick(maxDelay));
  const events: GeneratedEvent[] = [];
  const count = options.impressions ?? 10_000;
  for (let n = 0; n < count; n++) {
    const profileId = `p${pick(profiles)}`;
    const titleId = `t${pick(titles)}`;
    const ts = start + pick(span);
    const impression: Impression = {
      impressionId: `i${n}`,
      profileId,
      titleId,
      ts,
      row: pick(20),
      rank: pick(40),
    };
    events.push({ topic: 'impressions', value: impression, arrival: ts + delay() });
    if (rnd() < (options.playRate ?? 0.3)) {
      const playTs = ts + pick(90 * 60_000);
      const play: Play = { playId: `v${n}`, profileId, titleId, ts: playTs };
      events.push({ topic: 'plays', value: play, arrival: playTs + delay() });
    }
  }
  return events.sort((a, b) => a.arrival - b.arrival);
}

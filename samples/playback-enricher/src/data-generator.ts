import { seededRandom } from '@stream-gen/runtime/testing';
import type { DeviceType, Play } from './model';

export interface PlayGeneratorOptions {
  readonly seed?: number;
  readonly plays?: number;
  readonly profiles?: number;
  /** Titles t0..t(n-1); the fake metadata service knows t0..t9. */
  readonly titles?: number;
  /** Share of records that break the Play type (they must reach the dead letters). */
  readonly invalidRate?: number;
  readonly start?: number;
}

const DEVICES: readonly DeviceType[] = ['tv', 'mobile', 'web', 'console'];

/**
 * Seeded plays, a second apart, with a share of invalid records: an unknown
 * device, a missing field, a duration that is not a number. `playId`s are unique
 * (`v<n>`), so a test can account for every record.
 */
export function generatePlays(options: PlayGeneratorOptions = {}): unknown[] {
  const rnd = seededRandom(options.seed ?? 42);
  const pick = (n: number) => Math.floor(rnd() * n);
  const start = options.start ?? Date.UTC(2026, 0, 1);
  const out: unknown[] = [];
  for (let n = 0; n < (options.plays ?? 1000); n++) {
    const play: Play = {
      playId: `v${n}`,
      profileId: `p${pick(options.profiles ?? 100)}`,
      titleId: `t${pick(options.titles ?? 12)}`,
      ts: start + n * 1000,
      deviceType: DEVICES[pick(DEVICES.length)],
      durationMs: (1 + pick(120)) * 60_000,
    };
    out.push(rnd() < (options.invalidRate ?? 0) ? breakPlay(play, pick(3)) : play);
  }
  return out;
}

function breakPlay(play: Play, how: number): unknown {
  if (how === 0) return { ...play, deviceType: 'fridge' };
  if (how === 1) return { ...play, profileId: undefined };
  return { ...play, durationMs: 'long' };
}

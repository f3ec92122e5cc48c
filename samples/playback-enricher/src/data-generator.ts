import { seededRandom } from '@stream-gen/runtime/testing';
import type { Play, PlayLogLine } from './model';
import { DEVICE_TYPES, formatHeartbeat, formatLine, formatPlay } from './play-log';

export interface PlayGeneratorOptions {
  readonly seed?: number;
  /** Play-log lines to write; each holds 1 to 3 entries. */
  readonly lines?: number;
  readonly profiles?: number;
  /** Titles t0..t(n-1); the fake metadata service knows t0..t9. */
  readonly titles?: number;
  /** Share of lines with an entry the parser refuses (they must reach the dead letters). */
  readonly invalidRate?: number;
  readonly start?: number;
}

/** A generated line and what the job must make of it. */
export interface GeneratedLine {
  readonly line: PlayLogLine;
  /** The key it is written with: every entry of a line is from one profile's device. */
  readonly profileId: string;
  /** The plays the parser gives and the filter keeps: each must be enriched or dead-lettered. */
  readonly playIds: readonly string[];
  /** The zero-duration plays the filter drops: they must be nowhere. */
  readonly dropped: readonly string[];
  /** The parser refuses the line: it must be a dead letter itself, its plays nowhere. */
  readonly malformed: boolean;
}

/**
 * Seeded play-log lines of one to three entries from one profile: mostly plays, a
 * second apart, some heartbeats and zero-duration plays (the filter drops those),
 * and a share of lines with a broken entry: an unknown device, a missing field, a
 * duration that is not a number. `playId`s are unique (`v<n>`) and so is every line
 * with a play, so a test can account for every record.
 */
export function generatePlayLog(options: PlayGeneratorOptions = {}): GeneratedLine[] {
  const rnd = seededRandom(options.seed ?? 42);
  const pick = (n: number) => Math.floor(rnd() * n);
  const start = options.start ?? Date.UTC(2026, 0, 1);
  const out: GeneratedLine[] = [];
  let n = 0;
  for (let l = 0; l < (options.lines ?? 1000); l++) {
    const profileId = `p${pick(options.profiles ?? 100)}`;
    const entries: string[] = [];
    const playIds: string[] = [];
    const dropped: string[] = [];
    const count = 1 + pick(3);
    for (let e = 0; e < count; e++) {
      const ts = start + n * 1000;
      const kind = rnd();
      if (kind < 0.1) {
        entries.push(formatHeartbeat(profileId, ts));
        continue;
      }
      const play: Play = {
        playId: `v${n++}`,
        profileId,
        titleId: `t${pick(options.titles ?? 12)}`,
        ts,
        deviceType: DEVICE_TYPES[pick(DEVICE_TYPES.length)],
        durationMs: kind < 0.15 ? 0 : (1 + pick(120)) * 60_000,
      };
      entries.push(formatPlay(play));
      (play.durationMs > 0 ? playIds : dropped).push(play.playId);
    }
    // a broken line needs a play of its own, so that it is unique
    if (rnd() < (options.invalidRate ?? 0)) {
      const ts = start + n * 1000;
      const broken = breakPlay(`v${n++}`, profileId, ts, pick(3));
      entries.splice(pick(entries.length + 1), 0, broken);
      out.push({ line: formatLine(entries), profileId, playIds: [], dropped: [], malformed: true });
    } else {
      out.push({ line: formatLine(entries), profileId, playIds, dropped, malformed: false });
    }
  }
  return out;
}

/** A play entry the parser refuses: an unknown device, no profile, a duration in words. */
function breakPlay(playId: string, profileId: string, ts: number, how: number): string {
  if (how === 0) return `play ${playId} ${profileId} t0 ${ts} fridge 60000`;
  if (how === 1) return `play ${playId} t0 ${ts} tv 60000`;
  return `play ${playId} ${profileId} t0 ${ts} tv long`;
}

/**
 * Lines of one play each, none dropped or malformed: for a caller that counts on one
 * output per record (the bench's enricher workload). `unknown[]` as it always was,
 * so that callers' casts of the records still compile.
 */
export function generatePlays(
  options: Omit<PlayGeneratorOptions, 'lines' | 'invalidRate'> & { readonly plays?: number } = {},
): unknown[] {
  const rnd = seededRandom(options.seed ?? 42);
  const pick = (n: number) => Math.floor(rnd() * n);
  const start = options.start ?? Date.UTC(2026, 0, 1);
  return Array.from({ length: options.plays ?? 1000 }, (_, n) =>
    formatPlay({
      playId: `v${n}`,
      profileId: `p${pick(options.profiles ?? 100)}`,
      titleId: `t${pick(options.titles ?? 12)}`,
      ts: start + n * 1000,
      deviceType: DEVICE_TYPES[pick(DEVICE_TYPES.length)],
      durationMs: (1 + pick(120)) * 60_000,
    }),
  );
}

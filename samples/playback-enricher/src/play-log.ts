/**
 * The play log: a device flushes what it buffered as one line, entries separated by
 * `;`, fields by spaces (no field holds either):
 *
 *     play <playId> <profileId> <titleId> <ts> <deviceType> <durationMs>
 *     heartbeat <profileId> <ts>
 *
 * e.g. `play v1 p1 t1 1767225600000 tv 1800000; heartbeat p1 1767225660000`.
 * `ts` is epoch ms; `durationMs` is how long the title played (0: stopped before the
 * first frame).
 */
import type { DeviceType, Play, PlayLogLine } from './model';

export const DEVICE_TYPES: readonly DeviceType[] = ['tv', 'mobile', 'web', 'console'];

const PLAY_FIELDS = 'play <playId> <profileId> <titleId> <ts> <deviceType> <durationMs>';
const HEARTBEAT_FIELDS = 'heartbeat <profileId> <ts>';

/**
 * The plays of a line, in order; heartbeats and empty entries give none. Throws on
 * the first entry it cannot read, naming it: the whole line is then refused (a
 * half-read line would hide which of its plays were lost).
 */
export function parsePlayLogLine(line: PlayLogLine): Play[] {
  const plays: Play[] = [];
  line.split(';').forEach((raw, index) => {
    const entry = raw.trim();
    if (entry === '') return;
    const fields = entry.split(/\s+/);
    const where = `entry ${index + 1} "${shorten(entry)}"`;
    if (fields[0] === 'heartbeat') {
      expectFields(fields, 3, HEARTBEAT_FIELDS, where);
      wholeNumber(fields[2], 'ts', where);
      return;
    }
    if (fields[0] !== 'play') {
      throw new Error(`${where}: unknown entry kind "${shorten(fields[0])}" (play, heartbeat)`);
    }
    expectFields(fields, 7, PLAY_FIELDS, where);
    const [, playId, profileId, titleId, ts, deviceType, durationMs] = fields;
    if (!DEVICE_TYPES.includes(deviceType as DeviceType)) {
      throw new Error(
        `${where}: deviceType "${shorten(deviceType)}" is not one of ${DEVICE_TYPES.join(', ')}`,
      );
    }
    plays.push({
      playId,
      profileId,
      titleId,
      ts: wholeNumber(ts, 'ts', where),
      deviceType: deviceType as DeviceType,
      durationMs: wholeNumber(durationMs, 'durationMs', where),
    });
  });
  return plays;
}

/** A play as a log entry, the inverse of {@link parsePlayLogLine} for one play. */
export function formatPlay(play: Play): string {
  const { playId, profileId, titleId, ts, deviceType, durationMs } = play;
  return `play ${playId} ${profileId} ${titleId} ${ts} ${deviceType} ${durationMs}`;
}

export function formatHeartbeat(profileId: string, ts: number): string {
  return `heartbeat ${profileId} ${ts}`;
}

/** Entries joined into one line. */
export function formatLine(entries: readonly string[]): PlayLogLine {
  return entries.join('; ');
}

function expectFields(fields: string[], count: number, format: string, where: string): void {
  if (fields.length !== count) {
    throw new Error(`${where}: expected ${count} fields (${format}), got ${fields.length}`);
  }
}

function wholeNumber(text: string, field: string, where: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new Error(`${where}: ${field} "${shorten(text)}" is not a whole number`);
  }
  return n;
}

/** Keeps dead-letter reasons short when a line is long or binary junk. */
function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

import type { CheckpointSummary } from '@stream-gen/runtime';

/** Text shapes shared by the checkpoint commands' output. */

/** Rows as columns padded to their widest cell (the last column is not padded). */
export function table(rows: ReadonlyArray<readonly string[]>, indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
  );
}

/** The runtime's stand-ins for -∞ and +∞ (see @stream-gen/runtime time-bounds). */
const END_OF_TIME = 8_640_000_000_000_000;

export const time = (ms: number) => new Date(ms).toISOString();

/** A watermark: `-` before any input, `end` after a bounded input ended, else a time. */
export function watermark(ms: number): string {
  if (ms <= -END_OF_TIME) return '-';
  if (ms >= END_OF_TIME) return 'end';
  return time(ms);
}

/** `clicks=120 plays=7`, or `-` when there is none. */
export function positions(p: Readonly<Record<string, number>>): string {
  const text = Object.entries(p)
    .map(([source, offset]) => `${source}=${offset}`)
    .join(' ');
  return text || '-';
}

export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

/** Header of checkpoint rows: id, time taken, watermark, `extra` columns, positions. */
export function checkpointHeader(...extra: string[]): string[] {
  return ['checkpoint', 'taken at', 'watermark', ...extra, 'positions'];
}

export function checkpointRow(c: CheckpointSummary, ...extra: string[]): string[] {
  return [
    String(c.id),
    time(c.takenAt),
    watermark(c.watermarks.current),
    ...extra,
    positions(c.positions),
  ];
}

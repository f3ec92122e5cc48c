import * as fs from 'node:fs';
import type { JobReport } from './protocol';

/** One entry of bench/results.json (null where the workload does not measure it). */
export interface ResultEntry {
  readonly workload: string;
  readonly eventsPerSec: number;
  readonly ratioToRawConsume: number | null;
  readonly cpuSeconds: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly redisRoundTripsPerEvent: number | null;
  readonly peakRssMb: number;
  /** join-kafka-redis only: 1 - throughput with checkpoints / throughput without. */
  readonly checkpointOverhead?: number;
}

/** A workload's entry before the ratio to raw-consume is known, with what it measured besides. */
export interface WorkloadResult {
  readonly entry: Omit<ResultEntry, 'ratioToRawConsume'>;
  /** Events per CPU second of the job process. */
  readonly eventsPerCpuSecond: number;
  readonly details: Record<string, unknown>;
  /** Sentences printed under the table (bounds, caveats). */
  readonly notes: readonly string[];
}

/** The standard numbers of a job process's report. */
export function fromReport(
  workload: string,
  report: JobReport,
  extra: {
    p50Ms?: number;
    p99Ms?: number;
    details?: Record<string, unknown>;
    notes?: readonly string[];
  } = {},
): WorkloadResult {
  return {
    entry: {
      workload,
      eventsPerSec: round(report.events / (report.windowMs / 1000)),
      cpuSeconds: round(report.cpuSeconds, 3),
      p50Ms: extra.p50Ms === undefined ? null : round(extra.p50Ms, 1),
      p99Ms: extra.p99Ms === undefined ? null : round(extra.p99Ms, 1),
      redisRoundTripsPerEvent:
        report.redisRoundTrips === null ? null : round(report.redisRoundTrips / report.events, 5),
      peakRssMb: round(report.peakRssMb, 1),
    },
    eventsPerCpuSecond: round(report.events / report.cpuSeconds),
    details: {
      events: report.events,
      windowMs: round(report.windowMs),
      redisRoundTrips: report.redisRoundTrips,
      ...report.details,
      ...extra.details,
    },
    notes: extra.notes ?? [],
  };
}

/** The entries with their ratio to raw-consume of the same run. */
export function withRatios(results: readonly WorkloadResult[]): ResultEntry[] {
  const raw = results.find((r) => r.entry.workload === 'raw-consume')?.entry.eventsPerSec;
  return results.map(({ entry: e }) => ({
    workload: e.workload,
    eventsPerSec: e.eventsPerSec,
    ratioToRawConsume: raw ? round(e.eventsPerSec / raw, 3) : null,
    cpuSeconds: e.cpuSeconds,
    p50Ms: e.p50Ms,
    p99Ms: e.p99Ms,
    redisRoundTripsPerEvent: e.redisRoundTripsPerEvent,
    peakRssMb: e.peakRssMb,
    ...(e.checkpointOverhead === undefined ? {} : { checkpointOverhead: e.checkpointOverhead }),
  }));
}

export function writeResults(file: string, entries: readonly ResultEntry[]): void {
  fs.writeFileSync(file, `${JSON.stringify(entries, null, 2)}\n`);
}

/** The results as a markdown table (also readable in a terminal). */
export function resultsTable(
  entries: readonly ResultEntry[],
  results: readonly WorkloadResult[],
): string {
  const perCore = new Map(results.map((r) => [r.entry.workload, r.eventsPerCpuSecond]));
  const header = [
    'workload',
    'events/s',
    'ratio to raw-consume',
    'CPU s',
    'events/s per core',
    'p50 ms',
    'p99 ms',
    'Redis round trips/event',
    'peak RSS MB',
  ];
  const rows = entries.map((e) => [
    e.workload,
    fmt(e.eventsPerSec),
    fmt(e.ratioToRawConsume),
    fmt(e.cpuSeconds),
    fmt(perCore.get(e.workload) ?? null),
    fmt(e.p50Ms),
    fmt(e.p99Ms),
    fmt(e.redisRoundTripsPerEvent),
    fmt(e.peakRssMb),
  ]);
  return markdownTable(header, rows);
}

/** A markdown table; columns whose cells all look numeric are right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = header.map((_, i) => rows.every((r) => /^[-–\d.,% ]*$/.test(r[i])));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function fmt(value: number | null): string {
  if (value === null) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value === 0 ? '0' : value.toPrecision(2);
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

import { HEADER_ID, type OutRecord } from '@stream-gen/runtime';
import { cpuSeconds } from '../measure-window';
import type { Measured } from '../protocol';

/** What every sink job gets. */
export interface SinkJobParams {
  /** Records written in the measured pass. */
  readonly records: number;
  /** Records per write call: what a task hands its sinks after a batch of input. */
  readonly writeSize: number;
  /** Measured passes, each to a fresh target; the median one is reported. */
  readonly passes: number;
}

/** A row of the play-events-router sample's `tv-plays` route (its projection). */
export interface TvPlay {
  readonly play_id: string;
  readonly profile_id: string;
  readonly title_id: string;
  readonly duration_ms: number;
  readonly os: string;
}

const TV_OS = ['tizen', 'webos', 'android-tv'];

function tvPlay(i: number): TvPlay {
  return {
    play_id: `play-${i}`,
    profile_id: `profile-${(i * 7919) % 200}`,
    title_id: `title-${(i * 31) % 50}`,
    duration_ms: (i * 104_729) % 3_600_000,
    os: TV_OS[i % TV_OS.length],
  };
}

/**
 * `count` records as the router's tasks hand them to a sink: the value, its JSON
 * (encoded by the task when it emitted it) and a `stream-gen-id` of the task's form.
 */
export function tvPlayRecords(count: number, from = 0): OutRecord[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    const value = tvPlay(i);
    return {
      key: null,
      value,
      encoded: JSON.stringify(value),
      headers: { [HEADER_ID]: `PlayEventsRouter/${i % 16}/play_events:${i % 16}@${i}#0` },
      timestamp: 1_700_000_000_000 + i,
    };
  });
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A place a sink job writes to: a table, a key, a URL. */
export interface SinkTarget {
  /** Makes the target `name` anew and returns what writes one write call's records to it. */
  open(name: string): Promise<(records: readonly OutRecord[]) => Promise<void>>;
  /**
   * Reads back what reached `name` and throws unless it is every one of `records`, so a
   * sink that drops records cannot look fast. Returns what it counted.
   */
  verify(name: string, records: readonly OutRecord[]): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Records of the warm-up pass (JIT, connections), written before the measured one. */
const WARM_UP_RECORDS = 5_000;

interface Pass {
  readonly windowMs: number;
  readonly cpuSeconds: number;
  readonly verified: Record<string, unknown>;
}

/** One measured pass: every write call in turn to the fresh target `name`, then the check. */
async function pass(
  target: SinkTarget,
  name: string,
  calls: readonly OutRecord[][],
  records: readonly OutRecord[],
): Promise<Pass> {
  const write = await target.open(name);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const call of calls) await write(call);
  const windowMs = performance.now() - t0;
  const cpu = cpuSeconds(cpu0, process.cpuUsage());
  return { windowMs, cpuSeconds: cpu, verified: await target.verify(name, records) };
}

/**
 * Writes the records in write calls of `writeSize`, one call after the other (one
 * task's sink): a warm-up pass, then `passes` measured ones, each to a fresh target
 * checked after it. Reports the median pass (by its window, the write calls alone).
 */
export async function measureSinkWrites(
  params: SinkJobParams,
  target: SinkTarget,
): Promise<Measured> {
  try {
    const warmUp = tvPlayRecords(WARM_UP_RECORDS, params.records);
    await pass(target, 'warm_up', chunks(warmUp, params.writeSize), warmUp);
    const records = tvPlayRecords(params.records);
    const calls = chunks(records, params.writeSize);
    const passes: Pass[] = [];
    for (let p = 1; p <= params.passes; p++) {
      passes.push(await pass(target, `measured_${p}`, calls, records));
    }
    const median = [...passes].sort((a, b) => a.windowMs - b.windowMs)[
      Math.floor(passes.length / 2)
    ];
    return {
      events: records.length,
      windowMs: median.windowMs,
      cpuSeconds: median.cpuSeconds,
      redisRoundTrips: null,
      details: {
        writeSize: params.writeSize,
        writeCalls: calls.length,
        passesRecordsPerSec: passes.map((p) => Math.round(records.length / (p.windowMs / 1000))),
        verified: median.verified,
      },
    };
  } finally {
    await target.close();
  }
}

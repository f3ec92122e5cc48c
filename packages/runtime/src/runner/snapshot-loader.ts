import { readFile } from 'node:fs/promises';
import type { SinkConnector } from '../connectors/connector';
import type { JobSpec, SourceSpec } from '../job/job-spec';
import { HEADER_ID, type OutRecord } from '../records';
import { errorMessage } from '../util/error-message';
import { ConfigurationError, StreamGenError } from '../util/errors';
import type { Logger } from '../util/logger';

/** Records written to a source's topic per write. */
const CHUNK = 1000;

/**
 * STREAM_GEN_SNAPSHOTS: `<source>=<file or http(s) URL>,...`, the snapshots that fill
 * those sources (a full publish: every record that exists), read at start and again on
 * `POST /snapshot/<source>`.
 */
export function snapshotsFrom(env: NodeJS.ProcessEnv, job: JobSpec): Map<string, string> {
  const raw = env.STREAM_GEN_SNAPSHOTS?.trim();
  const snapshots = new Map<string, string>();
  if (!raw) return snapshots;
  for (const part of raw.split(',').map((p) => p.trim())) {
    const at = part.indexOf('=');
    const [source, from] = [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    if (at <= 0 || !from) {
      throw new ConfigurationError(
        `STREAM_GEN_SNAPSHOTS needs <source>=<file or URL>,..., got "${raw}"`,
      );
    }
    if (!job.sources.some((s) => s.name === source)) {
      throw new ConfigurationError(
        `STREAM_GEN_SNAPSHOTS names source "${source}", which job ${job.name} does not have (it has ${job.sources.map((s) => s.name).join(', ')})`,
      );
    }
    snapshots.set(source, from);
  }
  return snapshots;
}

/** The snapshots of a job's sources, as its HTTP port offers them. */
export interface Snapshots {
  /** The sources that have one. */
  readonly sources: readonly string[];
  /** Loads one again; resolves with the records written. */
  load(source: string): Promise<number>;
}

/**
 * Loads a snapshot into the topic of the source it fills: every line of a JSON-lines
 * file, or of what an HTTP(S) GET answers (JSON lines, or one JSON array), written to
 * the topic with the key the job keys that source by, so each record lands in the
 * partition of its key as the topic's producers put theirs. A line that is not JSON is
 * written as it is, without a key: the job dead-letters it with the reason, as it would
 * any such record of the topic. The job then reads the snapshot like the rest of the
 * source; loading one again is only right for a job whose fold takes a record twice
 * the same (a full publish into a last-writer-wins view).
 */
export class SnapshotLoader implements Snapshots {
  private readonly running = new Map<string, Promise<number>>();

  constructor(
    private readonly job: JobSpec,
    private readonly locations: ReadonlyMap<string, string>,
    private readonly sinkFor: (source: string) => SinkConnector,
    private readonly logger: Logger,
  ) {}

  get sources(): string[] {
    return [...this.locations.keys()];
  }

  /** Whether a load of `source` is under way. */
  loading(source: string): boolean {
    return this.running.has(source);
  }

  /** Loads the snapshot of `source`; resolves with the records written. One load of a source at a time. */
  load(source: string): Promise<number> {
    const from = this.locations.get(source);
    if (from === undefined) {
      return Promise.reject(
        new StreamGenError(`source "${source}" has no snapshot (STREAM_GEN_SNAPSHOTS)`),
      );
    }
    const running = this.running.get(source);
    if (running) return running;
    const load = this.write(source, from).finally(() => this.running.delete(source));
    this.running.set(source, load);
    return load;
  }

  private async write(source: string, from: string): Promise<number> {
    const spec = this.job.sources.find((s) => s.name === source) as SourceSpec;
    const started = Date.now();
    let lines: string[];
    try {
      lines = await readSnapshot(from);
    } catch (error) {
      throw new StreamGenError(`snapshot of ${source} from ${from}: ${errorMessage(error)}`, true);
    }
    const sink = this.sinkFor(source);
    const load = `${started.toString(36)}`;
    await sink.open();
    try {
      for (let i = 0; i < lines.length; i += CHUNK) {
        const records = lines.slice(i, i + CHUNK).map((line, j) => {
          const n = i + j;
          return toRecord(spec, line, started, { [HEADER_ID]: `snapshot/${source}/${load}#${n}` });
        });
        await sink.write(records);
      }
    } finally {
      await sink.close();
    }
    this.logger.info(
      `snapshot of ${source}: ${lines.length} record(s) from ${from} written to ${sink.describe()} in ${Date.now() - started} ms`,
    );
    return lines.length;
  }
}

function toRecord(
  spec: SourceSpec,
  line: string,
  timestamp: number,
  headers: Record<string, string>,
): OutRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { key: null, value: line, encoded: line, headers, timestamp };
  }
  return { key: keyOf(spec, value), value, encoded: line, headers, timestamp };
}

/** The record's key as the job keys the source; none where the key function throws (the job reports that, as for any record). */
function keyOf(spec: SourceSpec, value: unknown): string | null {
  try {
    const key = spec.key?.(value);
    return key === undefined || key === null ? null : String(key);
  } catch {
    return null;
  }
}

/** The snapshot's records, one JSON text each: lines of a file or of an HTTP answer, or the items of a JSON array. */
async function readSnapshot(from: string): Promise<string[]> {
  const text = /^https?:\/\//.test(from)
    ? await fetchText(from)
    : await readFile(from.replace(/^file:\/\//, ''), 'utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    return (JSON.parse(trimmed) as unknown[]).map((v) => JSON.stringify(v));
  }
  return text.split('\n').filter((line) => line.trim() !== '');
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!response.ok) throw new Error(`GET answered ${response.status} ${response.statusText}`);
  return response.text();
}

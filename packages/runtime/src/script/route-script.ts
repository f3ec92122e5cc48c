import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { errorMessage } from '../util/error-message';
import { ConfigurationError } from '../util/errors';
import type { Logger } from '../util/logger';
import { ScriptSandbox, type ScriptResult } from './script-sandbox';

/** A route's script UDF as its router file configures it. */
export interface ScriptSpec {
  /** The script's file (JavaScript). */
  readonly file: string;
  /** The function each record goes through (default `transform`). */
  readonly function?: string;
  /** Load a new version when the file changes, at a batch boundary (default false). */
  readonly dynamic?: boolean;
  /** Time limit of one call into the sandbox, ms (default 1000). */
  readonly timeoutMs?: number;
  /** Memory limit of the sandbox, MB (default 64). */
  readonly memoryMb?: number;
}

/** The header that names the script version an output went through. */
export const HEADER_SCRIPT_VERSION = 'stream-gen-script-version';

/**
 * A route's script: loaded in a sandbox at start; when dynamic, loaded again when its
 * file changes, checked (it must compile and define its function), and swapped in
 * before the next batch, so every record goes through exactly one version. A version
 * is the first 12 hex digits of the SHA-256 of its text, so the same text is the same
 * version after a restart. A version that does not load leaves the one before running,
 * and the log says why.
 */
export class RouteScript {
  private sandbox: ScriptSandbox;
  private seen: { mtimeMs: number; size: number };
  /** The text that failed to load last, so it is not tried again at every batch. */
  private refused: string | undefined;
  version: string;
  /** Results of the batch being run, by record (the same object the steps get). */
  private readonly results = new Map<unknown, ScriptResult>();

  private constructor(
    private readonly spec: ScriptSpec,
    private readonly logger: Logger,
    private readonly route: string,
  ) {
    const { text, stat } = this.read();
    this.sandbox = this.load(text);
    this.version = versionOf(text);
    this.seen = stat;
    logger.info(`route ${route}: script ${spec.file} version ${this.version} loaded`);
  }

  /** Loads the script; a script that does not load at start is a configuration error. */
  static open(spec: ScriptSpec, logger: Logger, route: string): RouteScript {
    try {
      return new RouteScript(spec, logger, route);
    } catch (error) {
      throw new ConfigurationError(
        `route ${route}: script ${spec.file} does not load: ${errorMessage(error)}`,
      );
    }
  }

  /** At a batch boundary: a new version when the file changed, then the batch in one call. */
  runBatch(records: readonly unknown[]): void {
    if (this.spec.dynamic) this.reloadIfChanged();
    this.results.clear();
    const results = this.sandbox.run(records);
    records.forEach((record, i) => this.results.set(record, results[i]));
  }

  /** What the script made of a record of the batch (run on its own when not in it). */
  resultOf(record: unknown): ScriptResult {
    return this.results.get(record) ?? this.sandbox.run([record])[0];
  }

  close(): void {
    this.sandbox.dispose();
  }

  private reloadIfChanged(): void {
    let stat: { mtimeMs: number; size: number };
    try {
      stat = statOf(this.spec.file);
    } catch (error) {
      return this.logger.warn(
        `route ${this.route}: script ${this.spec.file} cannot be read (${errorMessage(error)}); version ${this.version} goes on`,
      );
    }
    if (stat.mtimeMs === this.seen.mtimeMs && stat.size === this.seen.size) return;
    let text: string;
    try {
      text = readFileSync(this.spec.file, 'utf8');
    } catch (error) {
      return this.logger.warn(
        `route ${this.route}: script ${this.spec.file} cannot be read (${errorMessage(error)}); version ${this.version} goes on`,
      );
    }
    this.seen = stat;
    const version = versionOf(text);
    if (version === this.version || text === this.refused) return;
    try {
      const next = this.load(text);
      this.sandbox.dispose();
      this.sandbox = next;
      this.logger.info(
        `route ${this.route}: script version ${this.version} replaced by ${version}`,
      );
      this.version = version;
      this.refused = undefined;
    } catch (error) {
      this.refused = text;
      this.logger.warn(
        `route ${this.route}: script ${this.spec.file} version ${version} does not load (${errorMessage(error)}); version ${this.version} goes on`,
      );
    }
  }

  private read(): { text: string; stat: { mtimeMs: number; size: number } } {
    const stat = statOf(this.spec.file);
    return { text: readFileSync(this.spec.file, 'utf8'), stat };
  }

  private load(text: string): ScriptSandbox {
    return ScriptSandbox.load(text, this.spec.function ?? 'transform', {
      timeoutMs: this.spec.timeoutMs ?? 1000,
      memoryMb: this.spec.memoryMb ?? 64,
    });
  }
}

const versionOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

function statOf(file: string): { mtimeMs: number; size: number } {
  const { mtimeMs, size } = statSync(file);
  return { mtimeMs, size };
}

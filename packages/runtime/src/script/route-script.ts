import { createHash } from 'node:crypto';
import { errorMessage } from '../util/error-message';
import { ConfigurationError } from '../util/errors';
import type { Logger } from '../util/logger';
import { ScriptSandbox, type ScriptResult } from './script-sandbox';
import { scriptSource, type ScriptTextSource } from './script-source';
import { scriptCode } from './script-code';

/** A route's script UDF as its router file configures it. */
export interface ScriptSpec {
  /** The script's file (JavaScript, or TypeScript when it ends `.ts`). Exactly one of `file` and `redis`. */
  readonly file?: string;
  /** The Redis key whose value is the script's text (TypeScript when it ends `.ts`). */
  readonly redis?: string;
  /** The Redis that holds `redis` (default: `REDIS_URL`, then redis://127.0.0.1:6379). */
  readonly redisUrl?: string;
  /** The function each record goes through (default `transform`). */
  readonly function?: string;
  /** Load a new version when the file or key changes, at a batch boundary (default false). */
  readonly dynamic?: boolean;
  /** A dynamic script looks for a new version at most this often, ms (default: a file at every batch, a key every 1000). */
  readonly pollMs?: number;
  /** Time limit of one call into the sandbox, ms (default 1000). */
  readonly timeoutMs?: number;
  /** Memory limit of the sandbox, MB (default 64). */
  readonly memoryMb?: number;
}

/** The header that names the script version an output went through. */
export const HEADER_SCRIPT_VERSION = 'stream-gen-script-version';

/** How long a check for a new version may hold a batch back before the version goes on. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * A route's script: loaded in a sandbox at start; when dynamic, its source (a file or a
 * Redis key) is checked again at a batch boundary, at most every `pollMs`, and a new
 * text is loaded, checked (it must compile and define its function) and swapped in
 * before the batch, so every record goes through exactly one version. A version is the
 * first 12 hex digits of the SHA-256 of its text, so the same text is the same version
 * after a restart. A version that does not load, or a source that cannot be read,
 * leaves the version before running, and the log says why.
 */
export class RouteScript {
  /** The text that failed to load last, so it is not tried again at every check. */
  private refused: string | undefined;
  /** Why the source could not be read at the last check, so it is said once. */
  private unreadable: string | undefined;
  private checked = Date.now();
  /** Results of the batch being run, by record (the same object the steps get). */
  private readonly results = new Map<unknown, ScriptResult>();

  private constructor(
    private readonly spec: ScriptSpec,
    private readonly source: ScriptTextSource,
    private readonly logger: Logger,
    /** What runs the script, for logs and errors: `route plays`, `stage score`. */
    private readonly owner: string,
    private sandbox: ScriptSandbox,
    public version: string,
  ) {
    logger.info(`${owner}: script ${source.name} version ${version} loaded`);
  }

  /** Reads and loads the script; a script that does not load at start is a configuration error. */
  static async open(
    spec: ScriptSpec,
    logger: Logger,
    route: string,
    env: NodeJS.ProcessEnv = process.env,
    /** What runs it: a router's route, or a job's stage (named by its id). */
    kind: 'route' | 'stage' = 'route',
  ): Promise<RouteScript> {
    const owner = `${kind} ${route}`;
    const source = scriptSource(spec, env);
    try {
      const text = await source.read();
      return new RouteScript(
        spec,
        source,
        logger,
        owner,
        load(spec, source, text),
        versionOf(text),
      );
    } catch (error) {
      source.close();
      throw new ConfigurationError(
        `${owner}: script ${source.name} does not load: ${errorMessage(error)}`,
      );
    }
  }

  /** At a batch boundary: a new version when the source changed, then the batch in one call. */
  async runBatch(records: readonly unknown[]): Promise<void> {
    if (this.spec.dynamic && this.due()) await this.reloadIfChanged();
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
    this.source.close();
  }

  private due(): boolean {
    const now = Date.now();
    if (now - this.checked < (this.spec.pollMs ?? this.source.defaultPollMs)) return false;
    this.checked = now;
    return true;
  }

  private async reloadIfChanged(): Promise<void> {
    let text: string | undefined;
    try {
      text = await withTimeout(this.source.changed(), CHECK_TIMEOUT_MS);
    } catch (error) {
      // said once while the reason stays the same (a file is checked at every batch)
      const why = errorMessage(error);
      if (why === this.unreadable) return;
      this.unreadable = why;
      return this.logger.warn(
        `${this.owner}: script ${this.source.name} cannot be read (${why}); version ${this.version} goes on`,
      );
    }
    if (this.unreadable !== undefined) {
      this.logger.info(`${this.owner}: script ${this.source.name} can be read again`);
      this.unreadable = undefined;
    }
    if (text === undefined) return;
    const version = versionOf(text);
    if (version === this.version || text === this.refused) return;
    try {
      const next = load(this.spec, this.source, text);
      this.sandbox.dispose();
      this.sandbox = next;
      this.logger.info(`${this.owner}: script version ${this.version} replaced by ${version}`);
      this.version = version;
      this.refused = undefined;
    } catch (error) {
      this.refused = text;
      this.logger.warn(
        `${this.owner}: script ${this.source.name} version ${version} does not load (${errorMessage(error)}); version ${this.version} goes on`,
      );
    }
  }
}

function load(spec: ScriptSpec, source: ScriptTextSource, text: string): ScriptSandbox {
  return ScriptSandbox.load(
    source.typescript ? scriptCode(text) : text,
    spec.function ?? 'transform',
    { timeoutMs: spec.timeoutMs ?? 1000, memoryMb: spec.memoryMb ?? 64 },
  );
}

const versionOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

/** `promise`, or an error when it takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

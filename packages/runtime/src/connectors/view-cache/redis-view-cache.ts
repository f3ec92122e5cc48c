/**
 * A {@link ViewCache} in Redis (one server or a Cluster).
 *
 * Key layout, for prefix `assets` and task 3 of job `Catalog`:
 *
 *   assets:<key>                     hash    value = the JSON text of the value (absent: a
 *                                            tombstone), lineage + checkpoint = the version
 *                                            that wrote it. Clients read HGET assets:<key> value
 *   assets:__keys:{Catalog:3}        set     the cache keys the task ever wrote, tombstones
 *                                            too (what republish and reset go through)
 *   assets:__published:{Catalog:3}   string  "<lineage> <checkpoint>": the version of the
 *                                            task's last complete publish (its marker)
 *
 * Every script touches one key, so on a Cluster each runs on the node of its key; the
 * index and the marker of a task share the hash tag `{<job>:<task>}` (one slot, so reset
 * deletes both with one DEL). State keys starting with `__keys:` or `__published:` are
 * refused: they could name an index or a marker.
 *
 * TTL (`ttlMs`): every write sets it again, a tombstone's too, and a skipped write leaves
 * it alone. So a tombstone guards against a stale publish as long as the value it
 * replaced would have lived; one without a TTL would stay forever while the values next
 * to it expire. (An expired key is gone, versions too: a stale publish may write it
 * again, as it may any expired value.) The index and the marker have no TTL.
 *
 * Round trips: `publish` is one pipeline per 1000 entries (SADD of their keys to the
 * index, then one EVALSHA each), then one EVALSHA for the marker; `republish` the same
 * per 1000 entries of its chunks, then per ~1000 members of the index one SSCAN and one
 * pipeline of removal scripts, then the marker; `reset` one SSCAN and one pipeline of
 * DEL per ~1000 members, then one DEL; `read` one HMGET; `published` one GET. A server
 * that lost the scripts costs one more pipeline (see `runEach`). On a Cluster a
 * "pipeline" is the same commands sent together to their nodes, and the SADD is
 * answered before the writes are sent.
 *
 * Why a publish can be replayed, and a stale one never wins:
 *
 * - The index is a superset of what the task wrote: its SADD is ahead of the writes in
 *   the pipeline (Redis runs a connection's commands in order), so no write lands before
 *   its key is listed. A write that then fails only leaves an extra member: a removal
 *   makes it a tombstone, a DEL finds nothing.
 * - The marker moves only once every entry's write was answered without error; any
 *   failure throws first. A marker at V thus means: all of the publish at V is in the
 *   cache. A caller that failed publishes again: the same version is not newer, so
 *   every key is written again with the same value.
 * - Each key, and the marker, refuses a version older than its own. A publisher that
 *   lost its partition writes at checkpoint ids the new owner has passed, and one that
 *   restored before a rewind at a lower lineage: neither overwrites anything newer.
 * - A delete leaves a tombstone (the version without the value): an older write of the
 *   key cannot bring the value back, a newer one can. A republish at V removes only
 *   keys strictly older than V, so a key that a newer publish wrote meanwhile stays.
 * - `reset` deletes outright, versions included: only for a task that starts a new
 *   history, with no publisher of its old one left running.
 *
 * Versions count one task's checkpoints: they order the publishes of one task's history.
 * A key published by two tasks (moved by a repartition) is compared across two
 * unrelated sequences.
 */
import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../../state/redis/redis-scripts';
import { redisClient } from '../../runner/redis-client';
import { redisTarget, type RedisTarget } from '../../runner/redis-target';
import { errorMessage } from '../../util/error-message';
import { ConfigurationError, StreamGenError } from '../../util/errors';
import { encodeJson } from '../json-codec';
import {
  markerScript,
  removeScript,
  runEach,
  sendAll,
  writeScript,
  type Reply,
  type ScriptCall,
} from './view-cache-scripts';
import type { PublishResult, ViewCache, ViewEntry, ViewScope, ViewVersion } from './view-cache';

export interface RedisViewCacheOptions {
  /** First segment of every key: `<prefix>:<state key>`. Not empty, no whitespace, no `{` `}`. */
  readonly prefix: string;
  /** Milliseconds a key lives after its last write; default: no expiry. */
  readonly ttlMs?: number;
  /** An open client to use (not closed by close()), or a target to connect to: */
  readonly client?: Redis | Cluster;
  /** Read for REDIS_URL / REDIS_CLUSTER_NODES and REDIS_TLS_*; neither set: redis://127.0.0.1:6379. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Entries (and index members) per pipeline. */
const BATCH = 1000;
const DEFAULT_URL = 'redis://127.0.0.1:6379';
const RESERVED = ['__keys:', '__published:'];

interface TaskKeys {
  readonly index: string;
  readonly marker: string;
}

export class RedisViewCache implements ViewCache {
  private readonly prefix: string;
  private readonly ttl: string;
  private readonly target: RedisTarget | undefined;
  private client: RedisClient | undefined;

  constructor(private readonly options: RedisViewCacheOptions) {
    const { prefix, ttlMs } = options;
    if (prefix === '' || /[\s{}]/.test(prefix)) {
      throw new ConfigurationError(
        `a view cache prefix must be non-empty, without whitespace, "{" or "}" (got "${prefix}")`,
      );
    }
    if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs < 1)) {
      throw new ConfigurationError(`ttlMs of a view cache must be an integer >= 1, got ${ttlMs}`);
    }
    this.prefix = prefix;
    this.ttl = ttlMs === undefined ? '' : String(ttlMs);
    this.client = options.client;
    this.target = options.client
      ? undefined
      : (redisTarget(options.env ?? process.env) ??
        (redisTarget({ REDIS_URL: DEFAULT_URL }) as RedisTarget));
  }

  describe(): string {
    const cluster = this.options.client?.isCluster ?? this.target?.kind === 'cluster';
    const where = this.target ? `at ${this.target.display}` : 'on the given client';
    return `Redis${cluster ? ' Cluster' : ''} cache ${this.prefix}:* ${where}`;
  }

  async open(): Promise<void> {
    if (this.client || !this.target) return;
    this.client = redisClient(this.target, {
      retry: (attempt) => Math.min(attempt * 200, 5000),
      // a publish fails while Redis is away, and its caller publishes again
      maxRetriesPerRequest: 1,
    });
  }

  async published(scope: ViewScope): Promise<ViewVersion | undefined> {
    const { marker } = this.taskKeys(scope);
    const text = await this.clientOrThrow().get(marker);
    if (text === null) return undefined;
    const match = /^(\d+) (\d+)$/.exec(text);
    if (!match) {
      throw new StreamGenError(
        `${this.describe()}: ${marker} does not hold "<lineage> <checkpoint>": "${text}"`,
      );
    }
    return { lineage: Number(match[1]), checkpoint: Number(match[2]) };
  }

  async publish(
    scope: ViewScope,
    version: ViewVersion,
    entries: readonly ViewEntry[],
  ): Promise<PublishResult> {
    const keys = this.taskKeys(scope);
    // every entry is encoded before anything is sent
    const writes = this.writes(version, entries);
    const result = await this.write(keys, writes);
    await this.mark(keys, version);
    return result;
  }

  /**
   * The removals go through the whole index, the keys the entries named too: those are at
   * `version` now (or newer), which a removal leaves alone. So nothing of the chunks is
   * kept in memory, however large the state.
   */
  async republish(
    scope: ViewScope,
    version: ViewVersion,
    chunks: AsyncIterable<readonly ViewEntry[]>,
  ): Promise<PublishResult & { readonly removed: number }> {
    const keys = this.taskKeys(scope);
    checkVersion(version);
    let written = 0;
    let skipped = 0;
    for await (const entries of chunks) {
      const result = await this.write(keys, this.writes(version, entries));
      written += result.written;
      skipped += result.skipped;
    }
    const args = versionArgs(version, this.ttl);
    let removed = 0;
    for await (const members of this.indexMembers(keys.index)) {
      const replies = await runEach(
        this.clientOrThrow(),
        removeScript,
        members.map((key) => ({ key, args })),
      );
      this.check(replies, members, 'removing');
      removed += replies.reduce((n, [, result]) => n + Number(result), 0);
    }
    await this.mark(keys, version);
    return { written, skipped, removed };
  }

  async reset(scope: ViewScope): Promise<number> {
    const keys = this.taskKeys(scope);
    const client = this.clientOrThrow();
    let deleted = 0;
    for await (const members of this.indexMembers(keys.index)) {
      const replies = await sendAll(
        client,
        members.map((key) => ['DEL', key]),
      );
      this.check(replies, members, 'deleting');
      deleted += replies.reduce((n, [, result]) => n + Number(result), 0);
    }
    const replies = await sendAll(client, [['DEL', keys.index, keys.marker]]);
    this.check(replies, [`${keys.index} and ${keys.marker}`], 'deleting');
    return deleted;
  }

  async read(
    key: string,
  ): Promise<{ readonly value: unknown; readonly version: ViewVersion } | undefined> {
    const cacheKey = this.cacheKey(key);
    const [value, lineage, checkpoint] = await this.clientOrThrow().hmget(
      cacheKey,
      'value',
      'lineage',
      'checkpoint',
    );
    if (value === null) return undefined;
    return {
      value: JSON.parse(value) as unknown,
      version: { lineage: Number(lineage), checkpoint: Number(checkpoint) },
    };
  }

  async close(): Promise<void> {
    if (this.options.client) return;
    await this.client?.quit().catch(() => undefined);
    this.client = undefined;
  }

  private clientOrThrow(): RedisClient {
    if (!this.client) throw new StreamGenError(`${this.describe()} is not open`);
    return this.client;
  }

  private taskKeys(scope: ViewScope): TaskKeys {
    for (const [what, text] of [
      ['job name', scope.job],
      ['task id', scope.task],
    ] as const) {
      if (text === '' || /[{}]/.test(text)) {
        throw new ConfigurationError(
          `${this.describe()} cannot use ${what} "${text}": it must be non-empty, and "{" ` +
            `or "}" would break the hash tag {<job>:<task>} of the task's index and marker`,
        );
      }
    }
    const tag = `{${scope.job}:${scope.task}}`;
    return { index: `${this.prefix}:__keys:${tag}`, marker: `${this.prefix}:__published:${tag}` };
  }

  private cacheKey(key: string): string {
    if (RESERVED.some((r) => key.startsWith(r))) {
      throw new ConfigurationError(
        `${this.describe()} cannot hold state key "${key}": keys starting with ` +
          `${RESERVED.join(' or ')} name the index and marker of tasks`,
      );
    }
    return `${this.prefix}:${key}`;
  }

  /** The write script's calls, every value encoded (or refused) before any is sent. */
  private writes(version: ViewVersion, entries: readonly ViewEntry[]): ScriptCall[] {
    const args = versionArgs(version, this.ttl);
    return entries.map(({ key, value }) => {
      let text = '';
      if (value !== undefined) {
        try {
          text = encodeJson(value);
        } catch (error) {
          throw new TypeError(`view entry "${key}": ${errorMessage(error)}`, { cause: error });
        }
      }
      return { key: this.cacheKey(key), args: [...args, text] };
    });
  }

  private async write(keys: TaskKeys, writes: readonly ScriptCall[]): Promise<PublishResult> {
    const client = this.clientOrThrow();
    let written = 0;
    for (let at = 0; at < writes.length; at += BATCH) {
      const batch = writes.slice(at, at + BATCH);
      const batchKeys = batch.map((w) => w.key);
      const replies = await runEach(client, writeScript, batch, [
        ['SADD', keys.index, ...batchKeys],
      ]);
      this.check(replies, [keys.index, ...batchKeys], 'writing');
      written += replies.slice(1).reduce((n, [, result]) => n + Number(result), 0);
    }
    return { written, skipped: writes.length - written };
  }

  private async mark(keys: TaskKeys, version: ViewVersion): Promise<void> {
    try {
      await markerScript.run(this.clientOrThrow(), [keys.marker], versionArgs(version, ''));
    } catch (error) {
      throw this.failure('writing', keys.marker, error, 0);
    }
  }

  /** The members of a task's index, about {@link BATCH} at a time; one may come twice. */
  private async *indexMembers(index: string): AsyncGenerator<string[]> {
    const client = this.clientOrThrow();
    let cursor = '0';
    do {
      const [next, members] = await client.sscan(index, cursor, 'COUNT', BATCH);
      // a small set comes whole, whatever COUNT says
      for (let at = 0; at < members.length; at += BATCH) yield members.slice(at, at + BATCH);
      cursor = next;
    } while (cursor !== '0');
  }

  /** Throws when any reply is an error, naming the key of the first (`keys[i]` of reply i). */
  private check(replies: readonly Reply[], keys: readonly string[], doing: string): void {
    const failed = replies.flatMap(([error], i) => (error ? [i] : []));
    if (failed.length === 0) return;
    throw this.failure(doing, keys[failed[0]], replies[failed[0]][0], failed.length - 1);
  }

  private failure(doing: string, key: string, error: unknown, others: number): StreamGenError {
    const more = others > 0 ? ` (and ${others} more keys failed)` : '';
    return new StreamGenError(
      `${this.describe()}: ${doing} ${key} failed${more}: ${errorMessage(error)}`,
    );
  }
}

/** ARGV[1..3] of the scripts: lineage, checkpoint, TTL ('' for none). */
function versionArgs(version: ViewVersion, ttl: string): string[] {
  checkVersion(version);
  return [String(version.lineage), String(version.checkpoint), ttl];
}

function checkVersion({ lineage, checkpoint }: ViewVersion): void {
  for (const [what, n] of [
    ['lineage', lineage],
    ['checkpoint', checkpoint],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`a view version's ${what} must be an integer >= 0, got ${n}`);
    }
  }
}

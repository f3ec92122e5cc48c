import { redisTarget, type RedisTarget } from '../runner/redis-target';
import type { ScriptSpec } from './route-script';
import { FileScriptSource } from './file-script.source';
import { RedisScriptSource } from './redis-script.source';

/**
 * Where a route script's text comes from: a file or a Redis key. The sources only read;
 * versions, checks and the swap at a batch boundary are the script's
 * ({@link RouteScript}), the same for both.
 */
export interface ScriptTextSource {
  /** How logs and errors name it: `scripts/x.js`, `Redis key "x.script"`. */
  readonly name: string;
  /** Whether the text is TypeScript (a name ending `.ts`), stripped of its types before it loads. */
  readonly typescript: boolean;
  /** How often a dynamic script looks for a new version unless told (ms; 0: at every batch). */
  readonly defaultPollMs: number;
  /** The text now; throws when there is none (no such file, no such key) or it cannot be read. */
  read(): Promise<string>;
  /**
   * The text when it may have changed since it was last read, else undefined; throws
   * when it cannot be read (the caller keeps the version it has and tries again later).
   */
  changed(): Promise<string | undefined>;
  /** Lets go of what it holds (a connection). */
  close(): void;
}

/**
 * The source a script spec names: exactly one of `file` and `redis`. A key is read from
 * the spec's `redisUrl`, else from the Redis `env` names as the state's is
 * (`REDIS_URL` or `REDIS_CLUSTER_NODES`, with `REDIS_TLS_*`), else redis://127.0.0.1:6379.
 */
export function scriptSource(spec: ScriptSpec, env: NodeJS.ProcessEnv): ScriptTextSource {
  if ((spec.file === undefined) === (spec.redis === undefined)) {
    throw new Error('a script names exactly one of file and redis');
  }
  if (spec.file !== undefined) return new FileScriptSource(spec.file);
  const target =
    spec.redisUrl !== undefined
      ? redisTarget({ ...env, REDIS_URL: spec.redisUrl, REDIS_CLUSTER_NODES: undefined })
      : (redisTarget(env) ?? redisTarget({ REDIS_URL: DEFAULT_REDIS_URL }));
  return new RedisScriptSource(spec.redis as string, target as RedisTarget);
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

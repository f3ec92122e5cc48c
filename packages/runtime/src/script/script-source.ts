import type { RouterSpec } from '../router/router-spec';
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

/** The source a script spec names: exactly one of `file` and `redis`. */
export function scriptSource(spec: ScriptSpec, env: NodeJS.ProcessEnv): ScriptTextSource {
  if ((spec.file === undefined) === (spec.redis === undefined)) {
    throw new Error('a script names exactly one of file and redis');
  }
  if (spec.file !== undefined) return new FileScriptSource(spec.file);
  return new RedisScriptSource(
    spec.redis as string,
    spec.redisUrl ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  );
}

/** The router with its scripts kept in Redis read from the Redis of `env` (`REDIS_URL`), unless they name one. */
export function withScriptsFrom(router: RouterSpec, env: NodeJS.ProcessEnv): RouterSpec {
  const url = env.REDIS_URL;
  if (url === undefined || !router.routes.some((r) => r.script?.redis !== undefined)) return router;
  return {
    ...router,
    routes: router.routes.map((route) =>
      route.script?.redis === undefined || route.script.redisUrl !== undefined
        ? route
        : { ...route, script: { ...route.script, redisUrl: url } },
    ),
  };
}

import { RedisViewCache } from '../connectors/view-cache/redis-view-cache';
import type { JobSpec } from '../job/job-spec';
import { ConfigurationError } from '../util/errors';
import type { Logger } from '../util/logger';
import type { PublishedView } from '../view/view-spec';
import type { Namespace } from './env-overrides';
import { redisTarget } from './redis-target';

/**
 * The caches of a job's views: Redis at STREAM_GEN_VIEW_REDIS_URL (a cache of its own,
 * as the talk's EVCache is), else the state's (REDIS_URL or REDIS_CLUSTER_NODES, TLS and
 * AUTH included); needed on the embedded backends too (a view is for clients outside
 * the job). A namespace prefixes the cache keys as it does topics.
 */
export function viewCachesFor(
  job: JobSpec,
  env: NodeJS.ProcessEnv,
  ns: Namespace,
  logger: Logger,
): PublishedView[] {
  const views = job.views ?? [];
  if (views.length === 0) return [];
  const own = env.STREAM_GEN_VIEW_REDIS_URL;
  const cacheEnv = own ? { ...env, REDIS_URL: own, REDIS_CLUSTER_NODES: undefined } : env;
  if (!redisTarget(cacheEnv)) {
    throw new ConfigurationError(
      `job ${job.name} publishes ${views.map((v) => `${v.stage}.${v.state}`).join(', ')} to a ` +
        'Redis cache: set STREAM_GEN_VIEW_REDIS_URL or REDIS_URL (or REDIS_CLUSTER_NODES)',
    );
  }
  return views.map((spec) => {
    const cache = new RedisViewCache({
      prefix: ns.topic(spec.prefix),
      ttlMs: spec.ttlMs,
      env: cacheEnv,
    });
    logger.info(`view ${spec.stage}.${spec.state} is published to ${cache.describe()}`);
    return { spec, cache };
  });
}

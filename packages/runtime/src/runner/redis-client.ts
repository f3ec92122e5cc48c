import { Cluster, Redis } from 'ioredis';
import type { RedisTarget } from './redis-target';

export interface RedisClientOptions {
  /** ioredis' retry strategy: the wait before reconnecting, or null to give up. */
  readonly retry: (attempt: number) => number | null;
  /** Null: commands wait for the connection (a job); a number: they fail (a command line tool). */
  readonly maxRetriesPerRequest: number | null;
  readonly lazyConnect?: boolean;
  readonly connectTimeout?: number;
}

/** A client of the Redis (one server or a Cluster) that `target` names. */
export function redisClient(target: RedisTarget, options: RedisClientOptions): Redis | Cluster {
  const { retry, ...connection } = options;
  if (target.kind === 'standalone') {
    return new Redis(target.url, { ...connection, retryStrategy: retry });
  }
  return new Cluster(
    target.nodes.map(({ host, port }) => ({ host, port })),
    {
      lazyConnect: options.lazyConnect,
      // Node connections take these, the ones discovered from the seeds too; their own
      // retry strategy is the Cluster's (reconnect on the next slot refresh).
      redisOptions: {
        maxRetriesPerRequest: options.maxRetriesPerRequest,
        connectTimeout: options.connectTimeout,
        ...(target.username !== undefined && { username: target.username }),
        ...(target.password !== undefined && { password: target.password }),
        ...(target.tls && { tls: {} }),
      },
      clusterRetryStrategy: retry,
    },
  );
}

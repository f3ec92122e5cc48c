import { Cluster, Redis } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';
import { errorMessage } from '../util/error-message';
import { explainTlsError } from '../util/tls-errors';
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
  const tls = tlsOf(target);
  if (target.kind === 'standalone') {
    // a rediss:// URL alone is TLS with the system's CAs (ioredis sets tls then)
    return new Redis(target.url, { ...connection, retryStrategy: retry, ...(tls && { tls }) });
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
        ...(tls && { tls }),
      },
      clusterRetryStrategy: retry,
    },
  );
}

/** ioredis' `tls`: the CA and client certificate of REDIS_TLS_*_FILE, if any. */
function tlsOf(target: RedisTarget): ConnectionOptions | undefined {
  const options = target.tlsOptions;
  if (options) {
    const { files: _files, ...tls } = options;
    return tls;
  }
  return target.kind === 'cluster' && target.tls ? {} : undefined;
}

/**
 * An error of a client of `target`, saying which setting to look at: REDIS_TLS_CA_FILE
 * for a certificate not trusted, the URL's user and password for a refused AUTH.
 */
export function explainRedisError(error: unknown, target: RedisTarget): string {
  const message = errorMessage(error);
  if (/^(WRONGPASS|NOAUTH)\b|invalid password/i.test(message)) {
    const where = target.kind === 'standalone' ? 'REDIS_URL' : 'REDIS_CLUSTER_NODES or REDIS_URL';
    return `${message} (check the user and password in ${where})`;
  }
  if (!tlsOf(target)) return message;
  // not `instanceof Error`: an error of node:tls may come from another realm (a test's)
  return explainTlsError(
    { message, code: (error as { code?: string })?.code },
    {
      prefix: 'REDIS_TLS',
      files: target.tlsOptions?.files ?? {},
      peer: 'the Redis server',
      enabledBy: 'a rediss:// URL',
    },
  );
}

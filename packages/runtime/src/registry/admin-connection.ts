import type { Cluster, Redis } from 'ioredis';
import { namespaceFrom } from '../runner/env-overrides';
import { redisClient } from '../runner/redis-client';
import { redisTarget } from '../runner/redis-target';
import { errorMessage } from '../util/error-message';
import { ConfigurationError, StreamGenError } from '../util/errors';

/**
 * Connects an operator's command to the Redis of REDIS_URL (or the Cluster of
 * REDIS_CLUSTER_NODES), runs `use` with the client and the key prefix of
 * STREAM_GEN_NAMESPACE (the same the job's runners use), and disconnects. Fails fast,
 * with the URL (password hidden) in the message, when Redis cannot be reached: a
 * command should not wait for it like a job does. `holds` says, for the message when
 * neither variable is set, what the command reads there.
 */
export async function withAdminRedis<T>(
  env: NodeJS.ProcessEnv,
  holds: string,
  use: (client: Redis | Cluster, keyPrefix: string) => Promise<T>,
): Promise<T> {
  const target = redisTarget(env);
  if (!target) {
    throw new ConfigurationError(
      `REDIS_URL is not set: ${holds} the Redis its runners use; ` +
        'set REDIS_URL=redis://host:6379, or REDIS_CLUSTER_NODES=host:port,host:port for a Redis Cluster ' +
        '(and STREAM_GEN_NAMESPACE when the job runs with one)',
    );
  }
  const { redisKeyPrefix } = namespaceFrom(env);
  const client = redisClient(target, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 1,
    retry: () => null,
  });
  client.on('error', () => undefined); // reported by the command that fails
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new StreamGenError(
      `cannot connect to ${target.kind === 'cluster' ? 'Redis Cluster' : 'Redis'} at ${target.display}: ${errorMessage(error)}`,
      true,
    );
  }
  try {
    return await use(client, redisKeyPrefix);
  } finally {
    client.disconnect();
  }
}

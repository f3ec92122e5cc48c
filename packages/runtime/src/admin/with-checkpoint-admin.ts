import { namespaceFrom } from '../runner/env-overrides';
import { redisClient } from '../runner/redis-client';
import { redisTarget } from '../runner/redis-target';
import { CheckpointAdmin } from '../state/redis/checkpoint-admin';
import { errorMessage } from '../util/error-message';
import { ConfigurationError, StreamGenError } from '../util/errors';

/**
 * Connects to the Redis of REDIS_URL (or the Cluster of REDIS_CLUSTER_NODES) with the key prefix of STREAM_GEN_NAMESPACE (the
 * same the job's runners use), runs `use` with a {@link CheckpointAdmin}, and
 * disconnects. Fails fast, with the URL (password hidden) in the message, when Redis
 * cannot be reached: an operator's command should not wait for it like a job does.
 */
export async function withCheckpointAdmin<T>(
  env: NodeJS.ProcessEnv,
  use: (admin: CheckpointAdmin) => Promise<T>,
): Promise<T> {
  const target = redisTarget(env);
  if (!target) {
    throw new ConfigurationError(
      'REDIS_URL is not set: the checkpoints of a job are in the Redis its runners use; ' +
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
    return await use(new CheckpointAdmin(client, { keyPrefix: redisKeyPrefix }));
  } finally {
    client.disconnect();
  }
}

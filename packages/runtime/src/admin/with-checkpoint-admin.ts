import { Redis } from 'ioredis';
import { namespaceFrom } from '../runner/env-overrides';
import { CheckpointAdmin } from '../state/redis/checkpoint-admin';
import { errorMessage } from '../util/error-message';
import { ConfigurationError, StreamGenError } from '../util/errors';

/**
 * Connects to the Redis of REDIS_URL with the key prefix of STREAM_GEN_NAMESPACE (the
 * same the job's runners use), runs `use` with a {@link CheckpointAdmin}, and
 * disconnects. Fails fast, with the URL (password hidden) in the message, when Redis
 * cannot be reached: an operator's command should not wait for it like a job does.
 */
export async function withCheckpointAdmin<T>(
  env: NodeJS.ProcessEnv,
  use: (admin: CheckpointAdmin) => Promise<T>,
): Promise<T> {
  const url = env.REDIS_URL;
  if (!url) {
    throw new ConfigurationError(
      'REDIS_URL is not set: the checkpoints of a job are in the Redis its runners use; ' +
        'set REDIS_URL=redis://host:6379 (and STREAM_GEN_NAMESPACE when the job runs with one)',
    );
  }
  const { redisKeyPrefix } = namespaceFrom(env);
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // reported by the command that fails
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new StreamGenError(
      `cannot connect to Redis at ${url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}: ${errorMessage(error)}`,
      true,
    );
  }
  try {
    return await use(new CheckpointAdmin(client, { keyPrefix: redisKeyPrefix }));
  } finally {
    client.disconnect();
  }
}

import { withAdminRedis } from '../registry/admin-connection';
import { CheckpointAdmin } from '../state/redis/checkpoint-admin';

/**
 * Connects to the Redis of REDIS_URL (or the Cluster of REDIS_CLUSTER_NODES) with the key prefix of STREAM_GEN_NAMESPACE (the
 * same the job's runners use), runs `use` with a {@link CheckpointAdmin}, and
 * disconnects. Fails fast, with the URL (password hidden) in the message, when Redis
 * cannot be reached: an operator's command should not wait for it like a job does.
 */
export function withCheckpointAdmin<T>(
  env: NodeJS.ProcessEnv,
  use: (admin: CheckpointAdmin) => Promise<T>,
): Promise<T> {
  return withAdminRedis(env, 'the checkpoints of a job are in', (client, keyPrefix) =>
    use(new CheckpointAdmin(client, { keyPrefix })),
  );
}

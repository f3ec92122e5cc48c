import { CheckpointAdmin } from '../state/redis/checkpoint-admin';
import { withAdminRedis } from './admin-connection';
import { InstanceRegistry } from './instance-registry';

/**
 * Runs `use` with the {@link InstanceRegistry} of the Redis of REDIS_URL and
 * STREAM_GEN_NAMESPACE, and a {@link CheckpointAdmin} on the same connection (a job's
 * status is both: what its instances report, and its checkpoints); see
 * {@link withAdminRedis}.
 */
export function withJobRegistry<T>(
  env: NodeJS.ProcessEnv,
  use: (registry: InstanceRegistry, checkpoints: CheckpointAdmin) => Promise<T>,
): Promise<T> {
  return withAdminRedis(env, 'the instances of a job register in', (client, keyPrefix) =>
    use(new InstanceRegistry(client, keyPrefix), new CheckpointAdmin(client, { keyPrefix })),
  );
}

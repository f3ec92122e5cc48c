import type { SinkRedisParams } from '../jobs/sink-redis.job';
import { runSinkVariants, sinkOrRaw, sinkWrites } from './sink-variants';
import type { Workload } from './workload';

/** RedisSink (stream and hash) against an ioredis pipeline of the same commands. */
export const sinkRedis: Workload = {
  name: 'sink-redis',
  title: 'RedisSink XADD / HSET, a pipeline per write of 1000, vs the same ioredis pipelines',
  async run(ctx) {
    const variant = (form: SinkRedisParams['form'], client: SinkRedisParams['client']) =>
      sinkOrRaw(`sink-redis-${form}`, client, 'sink-redis', {
        redisUrl: ctx.services.redis.url,
        form,
        client,
        ...sinkWrites(ctx),
      } satisfies SinkRedisParams);
    return runSinkVariants(ctx, [
      variant('stream', 'raw'),
      variant('stream', 'sink'),
      variant('hash', 'raw'),
      variant('hash', 'sink'),
    ]);
  },
};

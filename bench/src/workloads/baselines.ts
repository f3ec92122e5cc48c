import type { RawConsumeParams } from '../jobs/raw-consume.job';
import type { RawRedisParams } from '../jobs/raw-redis-pipeline.job';
import { fromReport } from '../results';
import type { SuiteContext } from '../suite-context';
import type { Workload } from './workload';

/** raw-consume of `topics` (default the join input) under `name`'s groups, its passes. */
export function rawConsumeParams(
  ctx: SuiteContext,
  name: string,
  overrides: Partial<RawConsumeParams> = {},
): RawConsumeParams {
  return {
    brokers: ctx.services.kafka.brokers,
    groupId: ctx.groupId(name),
    topics: [ctx.input.topics.impressions, ctx.input.topics.plays],
    expected: ctx.input.events,
    sessionTimeoutMs: ctx.services.consumerConfig.sessionTimeout,
    passes: ctx.options.rawPasses,
    ...overrides,
  };
}

export const rawConsume: Workload = {
  name: 'raw-consume',
  title: 'kafkajs consumer (eachBatch) that only parses JSON: the Kafka ceiling',
  async run(ctx) {
    const params = rawConsumeParams(ctx, this.name);
    return [fromReport(this.name, await ctx.runJob(this.name, { workload: this.name, params }))];
  },
};

export const rawRedisPipeline: Workload = {
  name: 'raw-redis-pipeline',
  title: 'ioredis pipelined HMGET + HSET per batch on the join state keys: the Redis ceiling',
  async run(ctx) {
    const params: RawRedisParams = {
      redisUrl: ctx.services.redis.url,
      impressions: ctx.options.impressions,
      seed: ctx.options.seed,
      partitions: ctx.options.partitions,
      batchSize: 500,
    };
    return [fromReport(this.name, await ctx.runJob(this.name, { workload: this.name, params }))];
  },
};

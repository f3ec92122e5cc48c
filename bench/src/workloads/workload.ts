import type { KafkaJobParams } from '../jobs/runtime-job';
import type { WorkloadResult } from '../results';
import type { SuiteContext } from '../suite-context';

/** A workload of the bench: runs its job process(es) and returns its result entries. */
export interface Workload {
  readonly name: string;
  /** What it measures, printed before it runs. */
  readonly title: string;
  run(ctx: SuiteContext): Promise<WorkloadResult[]>;
}

/** Where a runtime job of `workload` runs: the bench's services, its own group and sinks. */
export async function kafkaJobParams(
  ctx: SuiteContext,
  workload: string,
  sources: Record<string, string>,
  sinks: readonly string[],
): Promise<KafkaJobParams> {
  return {
    brokers: ctx.services.kafka.brokers,
    redisUrl: ctx.services.redis.url,
    groupId: ctx.groupId(workload),
    topics: { sources, sinks: await ctx.createTopics(workload, sinks) },
    partitions: ctx.options.partitions,
    sessionTimeoutMs: ctx.services.consumerConfig.sessionTimeout,
  };
}

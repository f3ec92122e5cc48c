import { PIPELINE_EXCHANGE } from '../jobs/pipeline-kafka-redis.job';
import { fromReport } from '../results';
import { kafkaJobParams, type Workload } from './workload';

/** Two keyed stages across a repartition, Kafka → Kafka, state and checkpoints in Redis. */
export const pipelineKafkaRedis: Workload = {
  name: 'pipeline-kafka-redis',
  title:
    'two keyed stages across a repartition (count per profile and title, then top profile per title), Kafka + Redis, checkpoints every 1 s',
  async run(ctx) {
    await ctx.services.kafka.createTopic(PIPELINE_EXCHANGE, ctx.options.partitions);
    const params = {
      ...(await kafkaJobParams(ctx, this.name, ctx.input.topics, ['top-profiles'])),
      expected: ctx.input.events,
    };
    return [fromReport(this.name, await ctx.runJob(this.name, { workload: this.name, params }))];
  },
};

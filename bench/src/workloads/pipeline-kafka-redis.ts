import { PIPELINE_EXCHANGE } from '../jobs/pipeline-kafka-redis.job';
import { fromReport } from '../results';
import { kafkaJobParams, type Workload } from './workload';

/** Stage one counting the join's input, then a second keyed stage; state in Redis. */
const viewingCounts = (
  name: string,
  title: string,
  sink: string,
  /** The repartition topic in front of stage two, when it is keyed anew. */
  exchange?: string,
): Workload => ({
  name,
  title,
  async run(ctx) {
    if (exchange) await ctx.services.kafka.createTopic(exchange, ctx.options.partitions);
    const params = {
      ...(await kafkaJobParams(ctx, name, ctx.input.topics, [sink])),
      expected: ctx.input.events,
    };
    return [fromReport(name, await ctx.runJob(name, { workload: name, params }))];
  },
});

/** Two keyed stages across a repartition, Kafka → Kafka, state and checkpoints in Redis. */
export const pipelineKafkaRedis = viewingCounts(
  'pipeline-kafka-redis',
  'two keyed stages across a repartition (count per profile and title, then top profile per title), Kafka + Redis, checkpoints every 1 s',
  'top-profiles',
  PIPELINE_EXCHANGE,
);

/** The same first stage, then a keyed stage fused after it (same key, no repartition). */
export const fusedKafkaRedis = viewingCounts(
  'fused-kafka-redis',
  'two keyed stages in the same tasks (count per profile and title, then a fused stage keeping its maximum per profile and title), Kafka + Redis, checkpoints every 1 s',
  'max-counts',
);

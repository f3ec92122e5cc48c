import { UNION_REPARTITION, UNION_SOURCES } from '../jobs/union-kafka-redis.job';
import { checkRetained, joinEvents, produceEvents } from '../input-data';
import { fromReport } from '../results';
import { kafkaJobParams, type Workload } from './workload';

/**
 * The repartition topic holds every input event again, in an envelope (the quick
 * input, 260 132 events, makes about 2.5 MB per partition of 16), and the mock Kafka
 * keeps about 5 MB per partition: at most this many events are re-keyed, so that none
 * is dropped before the union reads it (the full input would make about 7.5 MB).
 */
const MAX_EVENTS = 300_000;

/** A union of three topics into one keyed count, through the re-keying stage, Kafka + Redis. */
export const unionKafkaRedis: Workload = {
  name: 'union-kafka-redis',
  title:
    'a union of three topics into one count per profile (re-keyed: the topics are partitioned by profile and title), Kafka + Redis, checkpoints every 5 s',
  async run(ctx) {
    const { impressions, seed, partitions } = ctx.options;
    const events = joinEvents(impressions, seed).slice(0, MAX_EVENTS);
    const sources = await ctx.createTopics(this.name, UNION_SOURCES);
    // the join's events, the i-th to topic i mod 3 (impressions and plays alike), keyed
    // by the join key and sent in requests of 1 000 records per partition, as the
    // join's input topics are
    for (const [t, name] of UNION_SOURCES.entries()) {
      const topic = sources[name];
      const third = events.filter((_, i) => i % UNION_SOURCES.length === t);
      await produceEvents(ctx.producer, third, { impressions: topic, plays: topic }, partitions);
    }
    await checkRetained(ctx.kafka, Object.values(sources));
    await ctx.services.kafka.createTopic(UNION_REPARTITION, partitions);
    const params = {
      ...(await kafkaJobParams(ctx, this.name, sources, ['profile-counts'])),
      expected: events.length,
    };
    const report = await ctx.runJob(this.name, { workload: this.name, params });
    // a record dropped by the mock before the union read it would have stalled the run
    await checkRetained(ctx.kafka, [UNION_REPARTITION]);
    return [fromReport(this.name, report)];
  },
};

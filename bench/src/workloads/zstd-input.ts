import { CompressionTypes } from 'kafkajs';
import { checkCompressed, sampleBatches } from '../batch-codecs';
import { checkRetained, joinEvents, produceEvents } from '../input-data';
import { fromReport } from '../results';
import { rawConsumeParams } from './baselines';
import { withPerEventCost } from './per-event-cost';
import { statelessParams } from './stateless-kafka';
import type { Workload } from './workload';

/**
 * The join input again, pre-produced by kafkajs with zstd batches (the runtime's codec,
 * registered in kafkajs) to topics of its own: raw-consume of it, then stateless-kafka
 * of it (writing uncompressed), compared with each other and with the plain runs.
 */
export const statelessKafkaZstdInput: Workload = {
  name: 'stateless-kafka-zstd-input',
  title: 'raw-consume and stateless-kafka of the join input pre-produced as zstd batches',
  async run(ctx) {
    const topics = await ctx.createTopics('zstd-input', ['impressions', 'plays'] as const);
    const events = joinEvents(ctx.options.impressions, ctx.options.seed);
    await produceEvents(
      ctx.producer,
      events,
      topics,
      ctx.options.partitions,
      1000,
      CompressionTypes.ZSTD,
    );
    await checkRetained(ctx.kafka, [topics.impressions, topics.plays]);
    const sample = await sampleBatches(ctx.kafka, topics.plays, {
      ...ctx.services.consumerConfig,
      groupId: ctx.groupId('zstd-input.check'),
    });
    checkCompressed(sample, 'zstd', topics.plays);
    const inputNote = `; input: ${(sample.decompressedBytes / sample.compressedBytes).toFixed(2)}× its zstd size`;

    const rawName = 'raw-consume-zstd-input';
    const rawParams = rawConsumeParams(ctx, rawName, {
      topics: [topics.impressions, topics.plays],
    });
    const raw = fromReport(
      rawName,
      await ctx.runJob(rawName, { workload: 'raw-consume', params: rawParams }),
    );

    const name = 'stateless-kafka-zstd-input';
    const params = await statelessParams(ctx, name, {}, topics);
    const job = fromReport(name, await ctx.runJob(name, { workload: 'stateless-kafka', params }));
    return [
      withPerEventCost(raw, [ctx.result('raw-consume')], inputNote),
      withPerEventCost(job, [raw, ctx.result('stateless-kafka')], inputNote),
    ];
  },
};

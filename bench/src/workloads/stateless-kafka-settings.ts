import { checkCompressed, sampleBatches } from '../batch-codecs';
import { fromReport } from '../results';
import { withPerEventCost } from './per-event-cost';
import { statelessParams } from './stateless-kafka';
import type { Workload } from './workload';

/**
 * The stateless-kafka job (filter + projection, Kafka → Kafka) with more settings in its
 * process's environment. With `compressed`, the output topic must then hold batches of
 * that codec, read back and decompressed by kafkajs (so a setting that did nothing
 * fails the workload).
 */
const statelessWith = (
  name: string,
  title: string,
  env: Readonly<Record<string, string>>,
  compressed?: string,
): Workload => ({
  name,
  title,
  async run(ctx) {
    const params = await statelessParams(ctx, name, { env });
    const report = await ctx.runJob(name, { workload: 'stateless-kafka', params });
    let extra = '';
    let details: Record<string, unknown> = { env };
    if (compressed) {
      const topic = params.topics.sinks.projected;
      const sample = await sampleBatches(ctx.kafka, topic, {
        ...ctx.services.consumerConfig,
        groupId: ctx.groupId(`${name}.check`),
      });
      checkCompressed(sample, compressed, topic);
      const ratio = (sample.decompressedBytes / sample.compressedBytes).toFixed(2);
      details = { ...details, outputSample: sample };
      extra = `; output read back: ${Object.values(sample.compressedBatches)[0]} ${compressed} batches, records ${ratio}× their compressed size`;
    }
    const result = fromReport(name, report, { details });
    return [
      withPerEventCost(result, [ctx.result('raw-consume'), ctx.result('stateless-kafka')], extra),
    ];
  },
});

const codec = (name: 'gzip' | 'snappy' | 'lz4' | 'zstd') =>
  statelessWith(
    `stateless-kafka-${name}`,
    `stateless-kafka writing ${name} batches (STREAM_GEN_KAFKA_COMPRESSION=${name})`,
    { STREAM_GEN_KAFKA_COMPRESSION: name },
    name,
  );

export const statelessKafkaCodecs: readonly Workload[] = [
  codec('gzip'),
  codec('snappy'),
  codec('lz4'),
  codec('zstd'),
];

export const statelessKafkaNoIdempotence = statelessWith(
  'stateless-kafka-no-idempotence',
  'stateless-kafka with the producer not idempotent (STREAM_GEN_KAFKA_IDEMPOTENCE=false)',
  { STREAM_GEN_KAFKA_IDEMPOTENCE: 'false' },
);

import * as path from 'node:path';
import {
  startJobProcess,
  type JobProcess,
} from '../../../packages/runtime/test-services/job-process';
import { kafkaClient, produce } from '../../../packages/runtime/test-services/kafka-io';
import { testServices } from '../../../packages/runtime/test-services/services';
import { viewKey, type AssetEvent } from '../src';

const MAIN = path.join(__dirname, '..', 'dist', 'generated', 'asset-view.main.generated.js');
/** Partitions of each topic: the job's task count. */
export const PARTITIONS = 4;

/**
 * AssetView's topics in namespace `ns` on the test broker, and how to start the job on
 * them (state in the test Redis, checkpoints every 200 ms) and send it records keyed as
 * the job keys them. `started` holds every process, for the test to kill at the end.
 */
export async function assetViewOnKafka(ns: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const services = testServices();
  const kafka = kafkaClient(services.kafkaBrokers);
  for (const name of ['asset-events', 'full-publish', 'dead-letters'])
    await services.kafka.createTopic(`${ns}.${name}`, PARTITIONS);
  const env = {
    KAFKA_BROKERS: services.kafkaBrokers.join(','),
    REDIS_URL: services.redisUrl,
    STREAM_GEN_NAMESPACE: ns,
    STREAM_GEN_CHECKPOINT_INTERVAL_MS: '200',
    STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...extraEnv,
  };
  const started: JobProcess[] = [];
  const start = () => {
    const job = startJobProcess(MAIN, { env });
    started.push(job);
    return job;
  };
  const send = (topic: 'asset-events' | 'full-publish', records: readonly AssetEvent[]) =>
    produce(
      kafka,
      `${ns}.${topic}`,
      records.map((value) => ({ key: viewKey(value), value })),
    );
  return { env, start, send, started };
}

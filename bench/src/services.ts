import * as path from 'node:path';
import { registerTypeScript } from './typescript-loader';

/** The runtime's test services (TypeScript, loaded in place). */
export const TEST_SERVICES = path.resolve(
  __dirname,
  '..',
  '..',
  'packages',
  'runtime',
  'test-services',
);

export type TestServices = typeof import('../../packages/runtime/test-services/services');
export type RedisService = Awaited<ReturnType<TestServices['startRedis']>>;
export type KafkaService = Awaited<ReturnType<TestServices['startKafkaMock']>>;

/** The runtime's test services (a redis-server and librdkafka's mock Kafka cluster). */
export async function loadTestServices(): Promise<TestServices> {
  registerTypeScript(TEST_SERVICES);
  return import('../../packages/runtime/test-services/services');
}

export interface BenchServices {
  readonly redis: RedisService;
  readonly kafka: KafkaService;
  readonly consumerConfig: TestServices['fastConsumerConfig'];
  stop(): Promise<void>;
}

/** Starts the bench's own redis-server and a one-broker mock Kafka cluster. */
export async function startServices(): Promise<BenchServices> {
  const services = await loadTestServices();
  const [redis, kafka] = await Promise.all([
    services.startRedis(),
    services.startKafkaMock({ brokers: 1 }),
  ]);
  return {
    redis,
    kafka,
    consumerConfig: services.fastConsumerConfig,
    async stop() {
      await Promise.all([redis.stop(), kafka.stop()]);
    },
  };
}

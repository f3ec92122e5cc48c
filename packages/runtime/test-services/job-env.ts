import type { TestServices } from './services';

/**
 * The environment of a job run on the test services: their Kafka and Redis (`redisDb`:
 * a database of the test's own), topics and group under the namespace `ns`, short
 * checkpoint intervals and session timeouts so faults recover quickly.
 */
export function kafkaJobEnv(
  services: TestServices,
  ns: string,
  redisDb?: number,
): NodeJS.ProcessEnv {
  return {
    KAFKA_BROKERS: services.kafkaBrokers.join(','),
    REDIS_URL: redisDb === undefined ? services.redisUrl : `${services.redisUrl}/${redisDb}`,
    STREAM_GEN_NAMESPACE: ns,
    STREAM_GEN_CHECKPOINT_INTERVAL_MS: '300',
    STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
  };
}

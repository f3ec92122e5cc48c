import type { KafkaSecurity, TestServices } from './services';

/**
 * The environment of a job run on the test services: their Kafka and Redis (`redisDb`:
 * a database of the test's own), topics and group under the namespace `ns`, short
 * checkpoint intervals and session timeouts so faults recover quickly. Behind the
 * secure proxy (STREAM_GEN_TEST_KAFKA_SECURITY), also the client security settings.
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
    ...kafkaSecurityEnv(services.kafkaSecurity),
  };
}

/** KAFKA_SSL, KAFKA_SSL_CA_FILE and KAFKA_SASL_* for a secured test cluster (none when plain). */
export function kafkaSecurityEnv(security: KafkaSecurity | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (security?.ssl) {
    env.KAFKA_SSL = 'true';
    env.KAFKA_SSL_CA_FILE = security.ssl.caFile;
  }
  if (security?.sasl) {
    env.KAFKA_SASL_MECHANISM = security.sasl.mechanism;
    env.KAFKA_SASL_USERNAME = security.sasl.username;
    env.KAFKA_SASL_PASSWORD = security.sasl.password;
  }
  return env;
}

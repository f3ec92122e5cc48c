/**
 * The runtime's own Kafka security settings for a test cluster, for tests that build a
 * KafkajsClient or a WireProducer themselves rather than running a job from its
 * environment. No test-framework dependency.
 */
import {
  kafkaSecurityFromEnv,
  type KafkaSecurity as RuntimeKafkaSecurity,
} from '../src/connectors/kafka/kafka-security';
import { kafkaSecurityEnv } from './job-env';
import { kafkaSecurityFor } from './kafka-test-security';

/**
 * What the runtime takes as `security` to reach `brokers`: read from the same
 * KAFKA_SSL* / KAFKA_SASL_* settings a job on them is given (kafkaJobEnv), so a test
 * connects as a job does. `{}` (plaintext) for the mock itself.
 */
export function clientSecurity(brokers: readonly string[]): RuntimeKafkaSecurity {
  return kafkaSecurityFromEnv(kafkaSecurityEnv(kafkaSecurityFor(brokers)));
}

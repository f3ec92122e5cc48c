import type { KafkaSasl } from '../kafka-security';
import { ProduceError } from './produce-error';

/**
 * The broker refused the credentials, or does not speak the mechanism: trying again
 * cannot help (retriable false), the settings must change. The message names the user
 * and the setting that holds the password, never the password.
 */
export class SaslAuthenticationError extends ProduceError {
  constructor(message: string) {
    super(message, false);
    this.name = 'SaslAuthenticationError';
  }
}

/**
 * "Kafka SASL authentication failed for user 'x' (KAFKA_SASL_PASSWORD) at host:port:
 * why"; `why` comes from the broker, so the password is taken out of it all the same.
 */
export function saslFailureMessage(sasl: KafkaSasl, broker: string, why: string): string {
  return sasl.password.redact(
    `Kafka SASL authentication failed for user '${sasl.username}' (${sasl.passwordSetting}) at ${broker}: ${why}`,
  );
}

import { randomBytes } from 'node:crypto';
import type { RawConsumeSecurity } from './jobs/raw-consume.job';
import { TEST_SERVICES } from './services';
import { registerTypeScript } from './typescript-loader';

type ProxyModule = typeof import('../../packages/runtime/test-services/kafka-secure-proxy');
type JobEnvModule = typeof import('../../packages/runtime/test-services/job-env');

/** The test services' secure Kafka proxy in front of the bench's mock, in this process. */
export interface BenchProxy {
  readonly brokers: string[];
  /** kafkajs' TLS and SASL options for raw-consume (none in plaintext). */
  readonly raw: RawConsumeSecurity | undefined;
  /** KAFKA_SSL, KAFKA_SSL_CA_FILE and KAFKA_SASL_* for a runtime job (none in plaintext). */
  readonly env: Readonly<Record<string, string>>;
  /** Client connections accepted so far, and SASL exchanges refused. */
  connections(): number;
  authFailures(): number;
  close(): Promise<void>;
}

const USER = 'bench';

/**
 * Starts `startSecureKafkaProxy` (packages/runtime/test-services/kafka-secure-proxy.ts)
 * in front of `brokers`: plaintext (the proxy's own cost), or SASL_SSL with
 * SCRAM-SHA-512 and a certificate of a CA made for it.
 */
export async function startBenchProxy(
  brokers: readonly string[],
  protocol: 'plaintext' | 'sasl_ssl',
): Promise<BenchProxy> {
  registerTypeScript(TEST_SERVICES);
  const { startSecureKafkaProxy } =
    (await import('../../packages/runtime/test-services/kafka-secure-proxy')) as ProxyModule;
  const { kafkaSecurityEnv } =
    (await import('../../packages/runtime/test-services/job-env')) as JobEnvModule;
  const secured = protocol === 'sasl_ssl';
  const password = randomBytes(12).toString('hex');
  const proxy = await startSecureKafkaProxy({
    brokers,
    tls: secured,
    sasl: secured ? { mechanisms: ['SCRAM-SHA-512'], users: { [USER]: password } } : undefined,
  });
  const common = {
    brokers: proxy.brokers,
    connections: () => proxy.connections(),
    authFailures: () => proxy.authFailures(),
    close: () => proxy.close(),
  };
  if (!secured || !proxy.caFile || !proxy.caPem) return { ...common, raw: undefined, env: {} };
  const env = kafkaSecurityEnv({
    protocol,
    ssl: { caFile: proxy.caFile, caPem: proxy.caPem },
    sasl: { mechanism: 'SCRAM-SHA-512', username: USER, password },
  });
  return {
    ...common,
    raw: {
      caPem: proxy.caPem,
      sasl: { mechanism: 'scram-sha-512', username: USER, password },
    },
    env: env as Record<string, string>,
  };
}

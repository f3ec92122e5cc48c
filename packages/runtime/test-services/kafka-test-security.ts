/**
 * The secured test configuration: with STREAM_GEN_TEST_KAFKA_SECURITY set to
 * `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`, the mock cluster is started
 * behind the secure proxy (./kafka-secure-proxy) and its brokers are the proxy's;
 * STREAM_GEN_TEST_KAFKA_SASL_MECHANISM picks the client's mechanism (PLAIN,
 * SCRAM-SHA-256, default SCRAM-SHA-512; the proxy offers all three).
 *
 * The client settings (CA file, mechanism, user, password) are kept per bootstrap
 * broker for kafkaClient() and testServices() in this process, and published in
 * STREAM_GEN_TEST_KAFKA_SECURITY_SETTINGS for the processes started after (the jest
 * workers), by the first secured cluster started (the global setup's).
 */
import { randomBytes } from 'node:crypto';
import { startSecureKafkaProxy } from './kafka-secure-proxy';
import { SASL_MECHANISMS, type SaslMechanism } from './sasl-server';
import type { KafkaSecurity, KafkaSecurityModule, KafkaSecurityProtocol } from './services';

const KAFKA_SECURITY_PROTOCOLS: readonly KafkaSecurityProtocol[] = [
  'plaintext',
  'ssl',
  'sasl_plaintext',
  'sasl_ssl',
];

export const SECURITY_ENV = {
  protocol: 'STREAM_GEN_TEST_KAFKA_SECURITY',
  mechanism: 'STREAM_GEN_TEST_KAFKA_SASL_MECHANISM',
  settings: 'STREAM_GEN_TEST_KAFKA_SECURITY_SETTINGS',
} as const;

const TEST_USER = 'stream-gen-test';

/** The protocol STREAM_GEN_TEST_KAFKA_SECURITY asks for (undefined: unset, no proxy). */
export function securityProtocolFromEnv(): KafkaSecurityProtocol | undefined {
  const value = process.env[SECURITY_ENV.protocol]?.trim().toLowerCase();
  if (!value) return undefined;
  if (!(KAFKA_SECURITY_PROTOCOLS as readonly string[]).includes(value)) {
    throw new Error(
      `${SECURITY_ENV.protocol}=${value}: expected one of ${KAFKA_SECURITY_PROTOCOLS.join(', ')}`,
    );
  }
  return value as KafkaSecurityProtocol;
}

function mechanismFromEnv(): SaslMechanism {
  const value = process.env[SECURITY_ENV.mechanism]?.trim().toUpperCase() || 'SCRAM-SHA-512';
  if (!(SASL_MECHANISMS as readonly string[]).includes(value)) {
    throw new Error(
      `${SECURITY_ENV.mechanism}=${value}: expected one of ${SASL_MECHANISMS.join(', ')}`,
    );
  }
  return value as SaslMechanism;
}

/** Starts the proxy in front of `mockBrokers`; resolves to its brokers, the client settings and close(). */
export async function secureFront(
  mockBrokers: readonly string[],
  protocol: KafkaSecurityProtocol,
): Promise<{ brokers: string[]; security: KafkaSecurity; close(): Promise<void> }> {
  const withSasl = protocol.startsWith('sasl_');
  const password = randomBytes(12).toString('hex');
  const proxy = await startSecureKafkaProxy({
    brokers: mockBrokers,
    tls: protocol.endsWith('ssl'),
    sasl: withSasl ? { mechanisms: SASL_MECHANISMS, users: { [TEST_USER]: password } } : undefined,
  });
  const security: KafkaSecurity = {
    protocol,
    ssl: proxy.caFile && proxy.caPem ? { caFile: proxy.caFile, caPem: proxy.caPem } : undefined,
    sasl: withSasl ? { mechanism: mechanismFromEnv(), username: TEST_USER, password } : undefined,
  };
  registerKafkaSecurity(proxy.brokers, security);
  if (!process.env[SECURITY_ENV.settings]) {
    process.env[SECURITY_ENV.settings] = JSON.stringify({ brokers: proxy.brokers, security });
  }
  return {
    brokers: proxy.brokers,
    security,
    close: async () => {
      for (const b of proxy.brokers) registered.delete(b);
      await proxy.close();
    },
  };
}

/**
 * `brokers` behind the secure proxy when STREAM_GEN_TEST_KAFKA_SECURITY asks for it, as
 * they are otherwise: for a test that puts a proxy of its own, one that reads the frames,
 * between the bare mock and its clients.
 */
export async function secureFrontFromEnv(
  brokers: readonly string[],
): Promise<{ brokers: string[]; close(): Promise<void> }> {
  const protocol = securityProtocolFromEnv();
  if (!protocol) return { brokers: [...brokers], close: async () => {} };
  return secureFront(brokers, protocol);
}

const registered = new Map<string, KafkaSecurity>();

function registerKafkaSecurity(brokers: readonly string[], security: KafkaSecurity): void {
  for (const b of brokers) registered.set(b, security);
}

/** The client settings for a test cluster's brokers (undefined: plain, as the mock itself). */
export function kafkaSecurityFor(brokers: readonly string[]): KafkaSecurity | undefined {
  const local = brokers.map((b) => registered.get(b)).find(Boolean);
  if (local) return local;
  const published = process.env[SECURITY_ENV.settings];
  if (!published) return undefined;
  const { brokers: theirs, security } = JSON.parse(published) as {
    brokers: string[];
    security: KafkaSecurity;
  };
  return brokers.some((b) => theirs.includes(b)) ? security : undefined;
}

/** services.ts loads this module by name: what it expects of it, checked here. */
export const _asLoaded: KafkaSecurityModule = {
  securityProtocolFromEnv,
  secureFront,
  kafkaSecurityFor,
};

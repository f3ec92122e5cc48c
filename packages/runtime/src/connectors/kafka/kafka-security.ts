import type { ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';
import { ConfigurationError } from '../../util/errors';
import { Secret } from '../../util/secret';
import { readSettingFile } from '../../util/setting-file';
import {
  describeTlsFiles,
  tlsFileOptions,
  tlsFileSettings,
  tlsFilesFromEnv,
  type TlsFiles,
} from '../../util/tls-files';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** TLS to the brokers (KAFKA_SSL=true). */
export interface KafkaTls {
  readonly files: TlsFiles;
  /** The name the brokers' certificates must carry, when not their host names. */
  readonly servername?: string;
  /** False only when KAFKA_SSL_REJECT_UNAUTHORIZED=false: any certificate is taken. */
  readonly rejectUnauthorized: boolean;
}

/** SASL authentication with each broker connection. */
export interface KafkaSasl {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: Secret;
  /** Where the password came from, for messages: KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE. */
  readonly passwordSetting: string;
}

/** How the runtime's Kafka connections (consumer, admin, producer) are secured; {} is plaintext. */
export interface KafkaSecurity {
  readonly tls?: KafkaTls;
  readonly sasl?: KafkaSasl;
}

/**
 * The security settings of the environment: KAFKA_SSL (true|false), KAFKA_SSL_CA_FILE,
 * KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE, KAFKA_SSL_SERVER_NAME,
 * KAFKA_SSL_REJECT_UNAUTHORIZED (default true), KAFKA_SASL_MECHANISM (plain,
 * scram-sha-256, scram-sha-512), KAFKA_SASL_USERNAME, and KAFKA_SASL_PASSWORD or
 * KAFKA_SASL_PASSWORD_FILE. Files are read now, so a wrong path fails the start, not
 * the first connection. Half a configuration (TLS files without KAFKA_SSL, a user
 * without a password) is refused rather than guessed at.
 */
export function kafkaSecurityFromEnv(env: NodeJS.ProcessEnv): KafkaSecurity {
  const tls = tlsFromEnv(env);
  const sasl = saslFromEnv(env);
  return { ...(tls && { tls }), ...(sasl && { sasl }) };
}

/**
 * One line for the start-up log: protocol, mechanism and user, CA and client certificate
 * files. Never a password.
 */
export function describeKafkaSecurity(security: KafkaSecurity): string {
  const { tls, sasl } = security;
  const protocol = `${sasl ? 'SASL_' : ''}${tls ? 'SSL' : 'PLAINTEXT'}`;
  const parts = [protocol];
  if (sasl) parts.push(`${sasl.mechanism.toUpperCase()} as user '${sasl.username}'`);
  if (tls) {
    parts.push(...describeTlsFiles(tls.files));
    if (tls.servername) parts.push(`server name ${tls.servername}`);
    if (!tls.rejectUnauthorized) parts.push('certificates NOT verified');
  }
  return parts.join(', ');
}

/**
 * The node:tls options of a connection to `host`: the server name is the host's unless
 * set (and none for an IP address, which SNI does not carry).
 */
export function tlsConnectOptions(tls: KafkaTls, host: string): ConnectionOptions {
  const servername = tls.servername ?? (isIP(host) ? undefined : host);
  return {
    ...tlsFileOptions(tls.files),
    ...(servername !== undefined && { servername }),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}

function tlsFromEnv(env: NodeJS.ProcessEnv): KafkaTls | undefined {
  const on = flag(env, 'KAFKA_SSL', false);
  const files = tlsFilesFromEnv(env, 'KAFKA_SSL');
  const servername = env.KAFKA_SSL_SERVER_NAME?.trim() || undefined;
  const rejectUnauthorized = flag(env, 'KAFKA_SSL_REJECT_UNAUTHORIZED', true);
  if (!on) {
    const given = [
      ...tlsFileSettings(files),
      ...(servername ? ['KAFKA_SSL_SERVER_NAME'] : []),
      ...(env.KAFKA_SSL_REJECT_UNAUTHORIZED?.trim() ? ['KAFKA_SSL_REJECT_UNAUTHORIZED'] : []),
    ];
    if (given.length > 0) {
      throw new ConfigurationError(
        `${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set but KAFKA_SSL is not true: set KAFKA_SSL=true to connect to Kafka with TLS`,
      );
    }
    return undefined;
  }
  return { files, ...(servername && { servername }), rejectUnauthorized };
}

function saslFromEnv(env: NodeJS.ProcessEnv): KafkaSasl | undefined {
  const rawMechanism = env.KAFKA_SASL_MECHANISM?.trim();
  const username = env.KAFKA_SASL_USERNAME;
  const given = ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'].filter(
    (name) => env[name],
  );
  if (!rawMechanism) {
    if (given.length === 0) return undefined;
    throw new ConfigurationError(
      `${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set but KAFKA_SASL_MECHANISM is not: set it to one of ${SASL_MECHANISMS.join(', ')}`,
    );
  }
  const mechanism = rawMechanism.toLowerCase() as SaslMechanism;
  if (!SASL_MECHANISMS.includes(mechanism)) {
    throw new ConfigurationError(
      `KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got "${rawMechanism}"`,
    );
  }
  if (!username) {
    throw new ConfigurationError(
      `KAFKA_SASL_MECHANISM is ${mechanism} but KAFKA_SASL_USERNAME is not set`,
    );
  }
  const { password, passwordSetting } = passwordFromEnv(env, username);
  return { mechanism, username, password, passwordSetting };
}

function passwordFromEnv(
  env: NodeJS.ProcessEnv,
  username: string,
): { password: Secret; passwordSetting: string } {
  const inline = env.KAFKA_SASL_PASSWORD;
  if (inline && env.KAFKA_SASL_PASSWORD_FILE) {
    throw new ConfigurationError(
      'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: set one of them',
    );
  }
  if (inline) return { password: new Secret(inline), passwordSetting: 'KAFKA_SASL_PASSWORD' };
  const file = readSettingFile(env, 'KAFKA_SASL_PASSWORD_FILE');
  if (!file) {
    throw new ConfigurationError(
      `KAFKA_SASL_USERNAME is '${username}' but neither KAFKA_SASL_PASSWORD nor KAFKA_SASL_PASSWORD_FILE is set`,
    );
  }
  // a file written by `echo` or an editor ends in a newline that is not part of the secret
  const password = file.content.toString('utf8').replace(/\r?\n$/, '');
  if (password === '') {
    throw new ConfigurationError(
      `KAFKA_SASL_PASSWORD_FILE: "${file.path}" holds an empty password`,
    );
  }
  return { password: new Secret(password), passwordSetting: 'KAFKA_SASL_PASSWORD_FILE' };
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = raw.toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigurationError(`${name} must be true or false, got "${raw}"`);
}

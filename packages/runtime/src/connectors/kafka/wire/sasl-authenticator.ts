import type { KafkaSasl } from '../kafka-security';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from './api-versions-request';
import type { BrokerConnection } from './broker-connection';
import { errorName } from './error-codes';
import {
  API_SASL_AUTHENTICATE,
  SASL_AUTHENTICATE_VERSIONS,
  decodeSaslAuthenticateResponse,
  encodeSaslAuthenticateRequest,
} from './sasl-authenticate-request';
import { SaslAuthenticationError, saslFailureMessage } from './sasl-authentication-error';
import { runSaslExchange, saslExchange, SaslVerificationError } from './sasl-exchange';
import {
  API_SASL_HANDSHAKE,
  SASL_HANDSHAKE_VERSION,
  decodeSaslHandshakeResponse,
  encodeSaslHandshakeRequest,
} from './sasl-handshake-request';

const SASL_AUTHENTICATION_FAILED = 58;
const UNSUPPORTED_SASL_MECHANISM = 33;

export interface SaslAuthenticationOptions {
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  /** SCRAM's client nonce (tests); random otherwise. */
  readonly nonce?: string;
}

/**
 * Authenticates a fresh connection before any other request (KIP-152): ApiVersions for
 * the SaslAuthenticate version both sides speak (v2 down to v0), SaslHandshake v1 with
 * the mechanism, then the mechanism's messages in SaslAuthenticate requests. A refusal
 * (SASL_AUTHENTICATION_FAILED), a mechanism the broker does not enable, or a server that
 * fails SCRAM's verification throws a {@link SaslAuthenticationError}; a broken
 * connection throws its BrokerConnectionError (retriable).
 */
export async function authenticateSasl(
  connection: BrokerConnection,
  sasl: KafkaSasl,
  options: SaslAuthenticationOptions,
): Promise<void> {
  const { clientId, requestTimeoutMs } = options;
  const broker = connection.address;
  const fail = (why: string) => new SaslAuthenticationError(saslFailureMessage(sasl, broker, why));
  const versions = await connection.request(
    (id) => encodeApiVersionsRequest(id, clientId),
    decodeApiVersionsResponse,
    requestTimeoutMs,
  );
  const handshakes = versions.get(API_SASL_HANDSHAKE);
  const authenticates = versions.get(API_SASL_AUTHENTICATE);
  const version = Math.min(authenticates?.max ?? -1, SASL_AUTHENTICATE_VERSIONS.max);
  if (
    !handshakes ||
    handshakes.max < SASL_HANDSHAKE_VERSION ||
    !authenticates ||
    version < Math.max(authenticates.min, SASL_AUTHENTICATE_VERSIONS.min)
  ) {
    throw fail(
      `the broker speaks SaslHandshake ${range(handshakes)} and SaslAuthenticate ${range(authenticates)}; ` +
        `the producer needs SaslHandshake v1 and SaslAuthenticate v0–v2 (Kafka 1.0+)`,
    );
  }
  const mechanism = sasl.mechanism.toUpperCase();
  const handshake = await connection.request(
    (id) => encodeSaslHandshakeRequest(id, clientId, mechanism),
    decodeSaslHandshakeResponse,
    requestTimeoutMs,
  );
  if (
    handshake.errorCode === UNSUPPORTED_SASL_MECHANISM ||
    !handshake.mechanisms.includes(mechanism)
  ) {
    throw fail(
      `the broker does not enable ${mechanism} (it enables ${handshake.mechanisms.join(', ') || 'none'}): check KAFKA_SASL_MECHANISM`,
    );
  }
  if (handshake.errorCode !== 0) throw fail(`SaslHandshake: ${errorName(handshake.errorCode)}`);
  try {
    await runSaslExchange(saslExchange(sasl, options.nonce), async (message) => {
      const response = await connection.request(
        (id) => encodeSaslAuthenticateRequest(id, clientId, version, message),
        (body) => decodeSaslAuthenticateResponse(body, version),
        requestTimeoutMs,
      );
      if (response.errorCode === 0) return response.authBytes;
      const name =
        response.errorCode === SASL_AUTHENTICATION_FAILED
          ? 'SASL_AUTHENTICATION_FAILED'
          : errorName(response.errorCode);
      throw fail(response.errorMessage ? `${name} (${response.errorMessage})` : name);
    });
  } catch (error) {
    if (error instanceof SaslVerificationError) throw fail(error.message);
    throw error;
  }
}

function range(versions: { min: number; max: number } | undefined): string {
  return versions ? `v${versions.min}–v${versions.max}` : 'not at all';
}

import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { tlsConnectOptions, type KafkaTls } from './kafka-security';

/**
 * A socket to a broker: TCP, or TLS when `tls` is given (`onConnect` after the
 * handshake). Shared by the producer's connections and kafkajs' (its socketFactory).
 */
export function connectKafkaSocket(
  host: string,
  port: number,
  tls: KafkaTls | undefined,
  onConnect?: () => void,
): Socket {
  if (!tls) return connectTcp({ host, port, noDelay: true }, onConnect);
  const socket = connectTls({ host, port, ...tlsConnectOptions(tls, host) }, onConnect);
  socket.setNoDelay(true);
  return socket;
}

/** The event a socket of {@link connectKafkaSocket} is connected at. */
export function connectEvent(tls: KafkaTls | undefined): 'connect' | 'secureConnect' {
  return tls ? 'secureConnect' : 'connect';
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/**
 * What a socket error means for the TLS settings, naming the one to look at: an
 * untrusted certificate (KAFKA_SSL_CA_FILE), a name the certificate does not carry
 * (KAFKA_SSL_SERVER_NAME), a client certificate the broker refused (KAFKA_SSL_CERT_FILE),
 * a port that does not speak TLS. Other errors keep their message.
 */
export function explainSocketError(error: Error, tls: KafkaTls | undefined): string {
  const { message } = error;
  if (!tls) return message;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (UNTRUSTED.has(code)) {
    const ca = tls.files.ca;
    return ca
      ? `the broker's TLS certificate is not signed by the CA in KAFKA_SSL_CA_FILE (${ca.path}): ${message}`
      : `the broker's TLS certificate is not signed by a CA this system trusts: set KAFKA_SSL_CA_FILE to the CA that signed it (${message})`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `the broker's TLS certificate is not valid now: ${message}`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the broker's TLS certificate is not for this host (${message}): set KAFKA_SSL_SERVER_NAME to a name it carries`;
  }
  if (
    /alert (bad certificate|certificate required|unknown ca|certificate unknown)/i.test(message)
  ) {
    return `the broker refused the client certificate (${message}): check KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE`;
  }
  if (/wrong version number|packet length too long|unknown protocol/i.test(message)) {
    return `TLS handshake failed (${message}): does the broker listen for TLS on this port? (KAFKA_SSL=true)`;
  }
  return message;
}

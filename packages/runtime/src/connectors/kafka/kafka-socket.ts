import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { explainTlsError } from '../../util/tls-errors';
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

/**
 * What a socket error means for the TLS settings, naming the one to look at
 * (KAFKA_SSL_CA_FILE for an untrusted certificate, KAFKA_SSL_SERVER_NAME, ...).
 */
export function explainSocketError(error: Error, tls: KafkaTls | undefined): string {
  if (!tls) return error.message;
  return explainTlsError(error, {
    prefix: 'KAFKA_SSL',
    files: tls.files,
    peer: 'the broker',
    serverNameSetting: 'KAFKA_SSL_SERVER_NAME',
    enabledBy: 'KAFKA_SSL=true',
  });
}

import { KafkaJSNonRetriableError, type KafkaConfig, type Mechanism } from 'kafkajs';
import { tlsFileOptions } from '../../util/tls-files';
import type { KafkaSasl, KafkaSecurity } from './kafka-security';
import { connectKafkaSocket, explainSocketError } from './kafka-socket';
import { saslFailureMessage } from './wire/sasl-authentication-error';
import { runSaslExchange, saslExchange } from './wire/sasl-exchange';

/** kafkajs keeps its sockets alive with this delay; so do we. */
const KEEP_ALIVE_MS = 60_000;

/**
 * The options of `new Kafka(...)` for `security`: `ssl` with the CA, client certificate
 * and server name, a socket factory that connects with them and says which setting a
 * certificate error is about, and `sasl` through the same SASL clients as the producer's
 * (so a refusal names KAFKA_SASL_PASSWORD, never the password).
 */
export function kafkajsSecurityOptions(
  security: KafkaSecurity,
): Pick<KafkaConfig, 'ssl' | 'sasl' | 'socketFactory'> {
  const { tls, sasl } = security;
  return {
    ...(tls && {
      ssl: {
        ...tlsFileOptions(tls.files),
        ...(tls.servername && { servername: tls.servername }),
        rejectUnauthorized: tls.rejectUnauthorized,
      },
      socketFactory: ({ host, port, onConnect }) => {
        const socket = connectKafkaSocket(host, port, tls, onConnect);
        socket.setKeepAlive(true, KEEP_ALIVE_MS);
        // kafkajs reports `Connection error: ${error.message}`: make it the explanation
        socket.prependListener('error', (error: Error) => {
          error.message = explainSocketError(error, tls);
        });
        return socket;
      },
    }),
    ...(sasl && { sasl: saslMechanism(sasl) }),
  };
}

/**
 * kafkajs' custom mechanism hook, carrying our PLAIN or SCRAM client. kafkajs frames
 * each SASL message with an int32 length (its legacy framing) in both directions.
 */
function saslMechanism(sasl: KafkaSasl): Mechanism {
  return {
    mechanism: sasl.mechanism,
    authenticationProvider: ({ host, port, saslAuthenticate }) => ({
      authenticate: async () => {
        try {
          await runSaslExchange(saslExchange(sasl), async (message) => {
            const reply = await saslAuthenticate<Buffer>({
              request: { encode: () => lengthPrefixed(message) },
              response: { decode: unprefixed, parse: (data) => data },
            });
            return reply ?? Buffer.alloc(0);
          });
        } catch (error) {
          const why = (error as Error).message.replace(/^SASL_AUTHENTICATION_FAILED: /, '');
          // not retriable: kafkajs gives up at once instead of trying the same password again
          throw new KafkaJSNonRetriableError(saslFailureMessage(sasl, `${host}:${port}`, why));
        }
      },
    }),
  };
}

function lengthPrefixed(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(4 + message.length);
  framed.writeInt32BE(message.length, 0);
  message.copy(framed, 4);
  return framed;
}

function unprefixed(framed: Buffer): Buffer {
  if (framed.length < 4) return Buffer.alloc(0);
  const length = framed.readInt32BE(0);
  return framed.subarray(4, 4 + Math.max(0, length));
}

import type { KafkaSasl } from '../kafka-security';
import { ScramClient } from './scram-client';

/**
 * The client side of one SASL mechanism: the messages it sends, each computed from the
 * server's answer to the one before. The transport (SaslAuthenticate requests, or
 * kafkajs' hook for them) is someone else's.
 */
export interface SaslExchange {
  /** The first message to the server. */
  first(): Buffer;
  /**
   * The message to send after the server answered `reply`, or undefined once the
   * exchange is complete. Throws {@link SaslVerificationError} when the server's answer
   * is malformed or does not prove that it knows the credentials.
   */
  next(reply: Buffer): Promise<Buffer | undefined>;
}

/** The server broke the mechanism: a malformed answer, or a proof that does not hold. */
export class SaslVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslVerificationError';
  }
}

/** A new exchange for one connection; `nonce` fixes SCRAM's client nonce (tests). */
export function saslExchange(sasl: KafkaSasl, nonce?: string): SaslExchange {
  if (sasl.mechanism === 'plain') return new PlainExchange(sasl);
  return new ScramClient(sasl.mechanism, sasl.username, sasl.password, nonce);
}

/** Runs `exchange` to its end, `send` carrying each message to the server and back its answer. */
export async function runSaslExchange(
  exchange: SaslExchange,
  send: (message: Buffer) => Promise<Buffer>,
): Promise<void> {
  let message: Buffer | undefined = exchange.first();
  while (message) message = await exchange.next(await send(message));
}

/** RFC 4616: authorization identity (empty: the user's own), user, password. One message. */
class PlainExchange implements SaslExchange {
  constructor(private readonly sasl: KafkaSasl) {}

  first(): Buffer {
    return Buffer.from(`\0${this.sasl.username}\0${this.sasl.password.reveal()}`, 'utf8');
  }

  async next(): Promise<undefined> {
    return undefined;
  }
}

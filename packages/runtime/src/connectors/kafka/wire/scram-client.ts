import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../../../util/secret';
import { SaslVerificationError, type SaslExchange } from './sasl-exchange';

const DIGESTS = {
  'scram-sha-256': { hash: 'sha256', bytes: 32 },
  'scram-sha-512': { hash: 'sha512', bytes: 64 },
} as const;

/** Kafka's brokers refuse fewer; a server asking for fewer is not one to trust. */
const MIN_ITERATIONS = 4096;
/** The GS2 header: no channel binding, no authorization identity. */
const GS2_HEADER = 'n,,';

/**
 * The client side of SCRAM (RFC 5802, with SHA-256/512 as in RFC 7677 and Kafka's
 * KIP-84): client-first, then client-final with the proof computed from the server's
 * salt and iterations, then the server's signature checked. A server whose signature
 * does not match does not hold the credentials, and the exchange fails. The password
 * goes into PBKDF2 as its UTF-8 bytes (as Kafka's own client, without SASLprep).
 */
export class ScramClient implements SaslExchange {
  private readonly digest: (typeof DIGESTS)[keyof typeof DIGESTS];
  private readonly clientNonce: string;
  private readonly clientFirstBare: string;
  private state: 'first' | 'final' | 'verify' | 'done' = 'first';
  private expectedServerSignature: Buffer | undefined;

  constructor(
    mechanism: keyof typeof DIGESTS,
    username: string,
    private readonly password: Secret,
    nonce: string = randomBytes(24).toString('base64'),
  ) {
    this.digest = DIGESTS[mechanism];
    this.clientNonce = nonce;
    this.clientFirstBare = `n=${saslName(username)},r=${nonce}`;
  }

  first(): Buffer {
    if (this.state !== 'first') throw new Error('SCRAM: first() called twice');
    this.state = 'final';
    return Buffer.from(GS2_HEADER + this.clientFirstBare, 'utf8');
  }

  async next(reply: Buffer): Promise<Buffer | undefined> {
    if (this.state === 'final') return this.clientFinal(reply.toString('utf8'));
    if (this.state === 'verify') {
      this.verify(reply.toString('utf8'));
      return undefined;
    }
    throw new Error(`SCRAM: no message expected in state ${this.state}`);
  }

  private async clientFinal(serverFirst: string): Promise<Buffer> {
    const attributes = parseAttributes(serverFirst);
    const nonce = attributes.get('r');
    const salt = attributes.get('s');
    const iterations = Number(attributes.get('i'));
    if (attributes.has('e')) throw new SaslVerificationError(`server error ${attributes.get('e')}`);
    if (!nonce || salt === undefined || !Number.isInteger(iterations)) {
      throw new SaslVerificationError(
        'the server-first message lacks its nonce, salt or iterations',
      );
    }
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new SaslVerificationError("the server's nonce does not extend the client's");
    }
    if (iterations < MIN_ITERATIONS) {
      throw new SaslVerificationError(
        `the server asks for ${iterations} iterations, fewer than ${MIN_ITERATIONS}`,
      );
    }
    const salted = await this.saltedPassword(Buffer.from(salt, 'base64'), iterations);
    const clientKey = this.hmac(salted, 'Client Key');
    const storedKey = createHash(this.digest.hash).update(clientKey).digest();
    const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = this.hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ clientSignature[i];
    this.expectedServerSignature = this.hmac(this.hmac(salted, 'Server Key'), authMessage);
    this.state = 'verify';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  private verify(serverFinal: string): void {
    this.state = 'done';
    const attributes = parseAttributes(serverFinal);
    const error = attributes.get('e');
    if (error !== undefined) throw new SaslVerificationError(`server error ${error}`);
    const signature = Buffer.from(attributes.get('v') ?? '', 'base64');
    const expected = this.expectedServerSignature as Buffer;
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new SaslVerificationError(
        "the server's signature does not match: it does not know the user's credentials",
      );
    }
  }

  private saltedPassword(salt: Buffer, iterations: number): Promise<Buffer> {
    const { hash, bytes } = this.digest;
    return new Promise((resolve, reject) =>
      pbkdf2(this.password.reveal(), salt, iterations, bytes, hash, (error, key) =>
        error ? reject(error) : resolve(key),
      ),
    );
  }

  private hmac(key: Buffer, text: string): Buffer {
    return createHmac(this.digest.hash, key).update(text, 'utf8').digest();
  }
}

/** A user name as SCRAM writes it: `=` and `,` escaped (RFC 5802 §5.1). */
function saslName(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** `k=v,k=v` (a value may hold `=`, as base64 does). */
function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) attributes.set(part[0], part.slice(2));
  }
  return attributes;
}

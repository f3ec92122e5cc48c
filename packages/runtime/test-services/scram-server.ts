/**
 * The server side of SCRAM (RFC 5802), for SCRAM-SHA-256 (RFC 7677) and
 * SCRAM-SHA-512 as Kafka uses them: no channel binding, the salted password kept
 * only as StoredKey and ServerKey, 4096 iterations. Usernames and passwords are
 * taken as given (no SASLprep: the test users are ASCII).
 *
 *   client-first  n,,n=<user>,r=<client nonce>
 *   server-first  r=<client nonce><server nonce>,s=<salt>,i=<iterations>
 *   client-final  c=biws,r=<nonce>,p=<proof>
 *   server-final  v=<server signature>
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramHash = 'sha256' | 'sha512';

export interface ScramCredentials {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** A SCRAM exchange the server refuses; the message is what Kafka would say. */
export class ScramError extends Error {}

const HASH_BYTES: Record<ScramHash, number> = { sha256: 32, sha512: 64 };

const hmac = (hash: ScramHash, key: Buffer, data: string | Buffer) =>
  createHmac(hash, key).update(data).digest();

export function scramCredentials(
  hash: ScramHash,
  password: string,
  salt: Buffer = randomBytes(16),
  iterations = 4096,
): ScramCredentials {
  const salted = pbkdf2Sync(password, salt, iterations, HASH_BYTES[hash], hash);
  const clientKey = hmac(hash, salted, 'Client Key');
  return {
    salt,
    iterations,
    storedKey: createHash(hash).update(clientKey).digest(),
    serverKey: hmac(hash, salted, 'Server Key'),
  };
}

/** `a=1,b=2` -> {a: '1', b: '2'} (a value may itself hold '='). */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new ScramError(`malformed SCRAM message`);
    out.set(part[0], part.slice(2));
  }
  return out;
}

/** RFC 5802 saslname: ',' and '=' travel as '=2C' and '=3D'. */
function unescapeName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramError('malformed SCRAM username');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

const INVALID_CREDENTIALS = 'Authentication failed: Invalid user credentials';

/** One client's exchange: two steps, client-first then client-final. */
export class ScramServerExchange {
  private state: 'first' | 'final' | 'done' = 'first';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private credentials: ScramCredentials | undefined;
  username: string | undefined;

  constructor(
    private readonly hash: ScramHash,
    private readonly lookup: (username: string) => ScramCredentials | undefined,
    private readonly serverNonce: string = randomBytes(18).toString('base64'),
  ) {}

  /** Answers one client message; throws ScramError when the exchange fails. */
  step(message: string): { response: string; done: boolean } {
    if (this.state === 'first') return { response: this.first(message), done: false };
    if (this.state === 'final') return { response: this.final(message), done: true };
    throw new ScramError('SCRAM exchange already complete');
  }

  private first(message: string): string {
    // gs2 header: n or y (channel binding not used), an optional authzid, then the bare message
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message);
    if (!m) throw new ScramError('SCRAM client-first message without a supported GS2 header');
    this.gs2Header = message.slice(0, message.length - m[3].length);
    this.clientFirstBare = m[3];
    const attrs = attributes(this.clientFirstBare);
    const user = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (user === undefined || !clientNonce)
      throw new ScramError('SCRAM client-first without n= or r=');
    if (attrs.has('m')) throw new ScramError('SCRAM extensions are not supported');
    this.username = unescapeName(user);
    this.credentials = this.lookup(this.username);
    if (!this.credentials) throw new ScramError(INVALID_CREDENTIALS);
    this.nonce = clientNonce + this.serverNonce;
    this.serverFirst =
      `r=${this.nonce},s=${this.credentials.salt.toString('base64')},` +
      `i=${this.credentials.iterations}`;
    this.state = 'final';
    return this.serverFirst;
  }

  private final(message: string): string {
    this.state = 'done';
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('SCRAM client-final without a proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(this.gs2Header).toString('base64')) {
      throw new ScramError('SCRAM channel binding does not match the GS2 header');
    }
    if (attrs.get('r') !== this.nonce) throw new ScramError('SCRAM nonce does not match');
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
    const creds = this.credentials!;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.hash, creds.storedKey, authMessage);
    if (proof.length !== signature.length) throw new ScramError(INVALID_CREDENTIALS);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    const stored = createHash(this.hash).update(clientKey).digest();
    if (!timingSafeEqual(stored, creds.storedKey)) throw new ScramError(INVALID_CREDENTIALS);
    return `v=${hmac(this.hash, creds.serverKey, authMessage).toString('base64')}`;
  }
}

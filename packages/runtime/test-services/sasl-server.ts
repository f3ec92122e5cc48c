/**
 * The server side of the SASL mechanisms the test proxy offers: PLAIN (RFC 4616)
 * and SCRAM-SHA-256 / SCRAM-SHA-512 (./scram-server). An exchange takes the
 * client's tokens one at a time and throws SaslAuthError with Kafka's message when
 * it refuses them.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  ScramError,
  ScramServerExchange,
  scramCredentials,
  type ScramCredentials,
} from './scram-server';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export class SaslAuthError extends Error {}

export interface SaslExchange {
  /** The answer to one client token; `done` once the client is authenticated. */
  step(token: Buffer): { response: Buffer; done: boolean };
  /** Who authenticated (or tried to), once known. */
  readonly username: string | undefined;
}

/** The proxy's users, with SCRAM credentials derived once per mechanism. */
export class SaslUsers {
  private readonly scram = new Map<string, ScramCredentials>();

  constructor(private readonly passwords: Readonly<Record<string, string>>) {}

  exchange(mechanism: SaslMechanism): SaslExchange {
    if (mechanism === 'PLAIN') return new PlainExchange(this.passwords);
    const hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
    const scram = new ScramServerExchange(hash, (user) => this.scramCredentials(hash, user));
    return {
      step(token) {
        try {
          const { response, done } = scram.step(token.toString('utf8'));
          return { response: Buffer.from(response, 'utf8'), done };
        } catch (e) {
          if (e instanceof ScramError) throw new SaslAuthError(e.message);
          throw e;
        }
      },
      get username() {
        return scram.username;
      },
    };
  }

  private scramCredentials(hash: 'sha256' | 'sha512', user: string): ScramCredentials | undefined {
    const password = Object.hasOwn(this.passwords, user) ? this.passwords[user] : undefined;
    if (password === undefined) return undefined;
    const key = `${hash}:${user}`;
    let creds = this.scram.get(key);
    if (!creds) this.scram.set(key, (creds = scramCredentials(hash, password)));
    return creds;
  }
}

/** One message: authzid NUL authcid NUL password. */
class PlainExchange implements SaslExchange {
  username: string | undefined;

  constructor(private readonly passwords: Readonly<Record<string, string>>) {}

  step(token: Buffer): { response: Buffer; done: boolean } {
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3)
      throw new SaslAuthError('Invalid SASL/PLAIN request: expected 3 tokens');
    const [authzid, user, password] = parts;
    this.username = user;
    if (authzid && authzid !== user) {
      throw new SaslAuthError(
        'Authentication failed: Client requested an authorization id that is different from username',
      );
    }
    const expected = Object.hasOwn(this.passwords, user) ? this.passwords[user] : undefined;
    if (expected === undefined || !sameText(expected, password)) {
      throw new SaslAuthError('Authentication failed: Invalid username or password');
    }
    return { response: Buffer.alloc(0), done: true };
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

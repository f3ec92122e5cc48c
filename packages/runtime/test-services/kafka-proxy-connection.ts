/**
 * One client connection of the Kafka test proxy: the broker side of SASL, then
 * frames both ways to the mock broker it stands for, with the responses that
 * carry broker addresses rewritten (./kafka-response-rewrite).
 *
 * Before authentication the proxy answers SaslHandshake (v0, v1) and
 * SaslAuthenticate (v0-v2) itself and forwards only ApiVersions; any other request
 * closes the connection, as Kafka does. After a SaslHandshake v0 the client's
 * tokens come as bare size-prefixed frames, without a Kafka header. A refused
 * authentication is answered with SASL_AUTHENTICATION_FAILED (after handshake v1)
 * and the connection closed. Until the client is authenticated its requests are
 * taken one at a time, so a forwarded ApiVersions is answered before what follows.
 */
import * as net from 'node:net';
import {
  bytes,
  compactBytes,
  compactString,
  FrameSplitter,
  int16,
  int32,
  int64,
  NO_TAGGED_FIELDS,
  requestBody,
  requestHeader,
  responseFrame,
  string,
  frame,
} from './kafka-frames';
import {
  API,
  checkRewritable,
  isRewritten,
  rewriteResponse,
  type Address,
  type RewriteOptions,
} from './kafka-response-rewrite';
import {
  SaslAuthError,
  type SaslExchange,
  type SaslMechanism,
  type SaslUsers,
} from './sasl-server';

const ERR_UNSUPPORTED_SASL_MECHANISM = 33;
const ERR_ILLEGAL_SASL_STATE = 34;
const ERR_SASL_AUTHENTICATION_FAILED = 58;

export interface ProxyEvents {
  authFailure(reason: string): void;
  /** A request the proxy would not take (before authentication, or unreadable). */
  refused(reason: string): void;
}

export interface ConnectionOptions {
  readonly upstream: Address;
  readonly sasl?: { readonly mechanisms: readonly SaslMechanism[]; readonly users: SaslUsers };
  readonly rewrite: RewriteOptions;
  readonly events: ProxyEvents;
}

type State = 'handshake' | 'authenticate' | 'raw-token' | 'open' | 'closed';

export class ProxyConnection {
  private state: State;
  private readonly upstream: net.Socket;
  private readonly fromClient = new FrameSplitter();
  private readonly fromUpstream = new FrameSplitter();
  /** Correlation id -> what was asked, for the responses that are rewritten. */
  private readonly asked = new Map<number, { apiKey: number; apiVersion: number }>();
  /** Client frames held while a request before authentication is in flight. */
  private readonly held: Buffer[] = [];
  private exchange: SaslExchange | undefined;

  constructor(
    private readonly client: net.Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.state = opts.sasl ? 'handshake' : 'open';
    this.upstream = net.connect(opts.upstream.port, opts.upstream.host);
    this.upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.guard(() => this.onClientData(chunk)));
    this.upstream.on('data', (chunk: Buffer) => this.guard(() => this.onUpstreamData(chunk)));
    for (const [from, to] of [
      [client, this.upstream],
      [this.upstream, client],
    ] as const) {
      from.on('error', () => this.close());
      from.on('close', () => this.close());
      to.on('drain', () => from.resume());
    }
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.client.destroy();
    this.upstream.destroy();
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch (e) {
      this.opts.events.refused((e as Error).message);
      this.close();
    }
  }

  private onClientData(chunk: Buffer): void {
    for (const f of this.fromClient.push(chunk)) {
      if (this.state === 'open') this.forward(f);
      else this.held.push(f);
    }
    this.takeHeld();
  }

  /** Before authentication: the next held frame, unless a forwarded one awaits its answer. */
  private takeHeld(): void {
    while (this.held.length && this.asked.size === 0 && this.state !== 'closed') {
      const f = this.held.shift()!;
      if (this.state === 'open') this.forward(f);
      else this.beforeAuthentication(f);
    }
  }

  private forward(f: Buffer): void {
    const h = requestHeader(f);
    if (isRewritten(h.apiKey)) {
      checkRewritable(h.apiKey, h.apiVersion);
      this.asked.set(h.correlationId, h);
    }
    if (!this.upstream.write(f)) this.client.pause();
  }

  private onUpstreamData(chunk: Buffer): void {
    for (const f of this.fromUpstream.push(chunk)) {
      const correlationId = f.readInt32BE(4);
      const asked = this.asked.get(correlationId);
      let out = f;
      if (asked) {
        this.asked.delete(correlationId);
        out = rewriteResponse(f, asked.apiKey, asked.apiVersion, this.opts.rewrite);
      }
      if (!this.client.write(out)) this.upstream.pause();
    }
    this.takeHeld();
  }

  private beforeAuthentication(f: Buffer): void {
    if (this.state === 'raw-token') return this.rawToken(f);
    const h = requestHeader(f);
    if (h.apiKey === API.apiVersions) return this.forward(f);
    if (h.apiKey === API.saslHandshake && this.state === 'handshake') return this.handshake(f);
    if (h.apiKey === API.saslAuthenticate && this.state === 'authenticate') {
      return this.authenticate(f);
    }
    if (h.apiKey === API.saslAuthenticate || h.apiKey === API.saslHandshake) {
      this.reply(
        h.correlationId,
        false,
        h.apiKey === API.saslHandshake
          ? [int16(ERR_ILLEGAL_SASL_STATE), int32(0)]
          : [
              int16(ERR_ILLEGAL_SASL_STATE),
              string('SaslAuthenticate before SaslHandshake'),
              bytes(Buffer.alloc(0)),
            ],
      );
      this.endAfterReply('SASL request out of order');
      return;
    }
    throw new Error(
      `Unexpected Kafka request of api key ${h.apiKey} before SASL authentication; closing the connection`,
    );
  }

  /** SaslHandshake v0/v1: mechanism -> error, enabled mechanisms. */
  private handshake(f: Buffer): void {
    const h = requestHeader(f);
    const sasl = this.opts.sasl!;
    if (h.apiVersion > 1) throw new Error(`SaslHandshake v${h.apiVersion} is not supported`);
    const mechanism = requestBody(f, false).string() ?? '';
    const enabled = sasl.mechanisms.find((m) => m === mechanism);
    const list = [int32(sasl.mechanisms.length), ...sasl.mechanisms.map((m) => string(m))];
    if (!enabled) {
      this.reply(h.correlationId, false, [int16(ERR_UNSUPPORTED_SASL_MECHANISM), ...list]);
      this.opts.events.authFailure(`unsupported SASL mechanism ${mechanism}`);
      this.endAfterReply();
      return;
    }
    this.reply(h.correlationId, false, [int16(0), ...list]);
    this.exchange = sasl.users.exchange(enabled);
    this.state = h.apiVersion === 0 ? 'raw-token' : 'authenticate';
  }

  /** SaslAuthenticate v0-v2: auth bytes -> error, message, auth bytes, [session lifetime v1+]. */
  private authenticate(f: Buffer): void {
    const h = requestHeader(f);
    if (h.apiVersion > 2) throw new Error(`SaslAuthenticate v${h.apiVersion} is not supported`);
    const flexible = h.apiVersion >= 2;
    const body = requestBody(f, flexible);
    const token = (flexible ? body.compactBytes() : body.bytes()) ?? Buffer.alloc(0);
    const answer = (error: number, message: string | null, auth: Buffer) => {
      const parts = flexible
        ? [int16(error), compactString(message), compactBytes(auth)]
        : [int16(error), string(message), bytes(auth)];
      if (h.apiVersion >= 1) parts.push(int64(0n)); // session lifetime: unlimited
      if (flexible) parts.push(NO_TAGGED_FIELDS);
      this.reply(h.correlationId, flexible, parts);
    };
    try {
      const { response, done } = this.exchange!.step(token);
      answer(0, null, response);
      if (done) this.state = 'open';
    } catch (e) {
      if (!(e instanceof SaslAuthError)) throw e;
      answer(ERR_SASL_AUTHENTICATION_FAILED, e.message, Buffer.alloc(0));
      this.opts.events.authFailure(`${this.exchange?.username ?? '?'}: ${e.message}`);
      this.endAfterReply();
    }
  }

  /** After SaslHandshake v0: the token is the whole frame; a refusal just closes. */
  private rawToken(f: Buffer): void {
    try {
      const { response, done } = this.exchange!.step(f.subarray(4));
      this.client.write(frame(response));
      if (done) this.state = 'open';
    } catch (e) {
      if (!(e instanceof SaslAuthError)) throw e;
      this.opts.events.authFailure(`${this.exchange?.username ?? '?'}: ${e.message}`);
      this.close();
    }
  }

  private reply(correlationId: number, flexible: boolean, body: Buffer[]): void {
    this.client.write(responseFrame(correlationId, flexible, ...body));
  }

  /** Closes once the answer written last has gone out, taking nothing more meanwhile. */
  private endAfterReply(reason?: string): void {
    if (reason) this.opts.events.refused(reason);
    this.state = 'closed';
    this.held.length = 0;
    this.upstream.destroy();
    this.client.end();
    setTimeout(() => this.client.destroy(), 1000).unref(); // a client that never closes its side
  }
}

import type { Socket } from 'node:net';
import type { KafkaSecurity } from '../kafka-security';
import { connectEvent, connectKafkaSocket, explainSocketError } from '../kafka-socket';
import { ByteReader } from './byte-reader';
import { authenticateSasl } from './sasl-authenticator';

/** A broker could not be reached, or its connection broke: retry after fresh metadata. */
export class BrokerConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerConnectionError';
  }
}

/** TLS and SASL of a connection, and what its authentication requests need. */
export interface BrokerConnectionSecurity {
  readonly security: KafkaSecurity;
  readonly clientId: string;
  readonly requestTimeoutMs: number;
}

interface Pending {
  readonly decode: (body: ByteReader) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One TCP (or TLS) connection to a broker: requests go out as they come (several in
 * flight), responses are matched by correlation id. Any socket error, and any request
 * that times out, closes the connection and fails every request still in flight.
 */
export class BrokerConnection {
  private readonly pending = new Map<number, Pending>();
  private received: Buffer = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private failure: BrokerConnectionError | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(`${error.message}`));
    socket.on('close', () => this.fail('connection closed'));
  }

  /**
   * Connects, with TLS when `secure.security.tls` is set (a certificate error names the
   * setting to fix), and authenticates with SASL when `secure.security.sasl` is, before
   * the connection is handed out. A refused authentication rejects with a
   * SaslAuthenticationError (not retriable), anything else with a BrokerConnectionError.
   */
  static async open(
    host: string,
    port: number,
    timeoutMs: number,
    secure?: BrokerConnectionSecurity,
  ): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    const tls = secure?.security.tls;
    const connection = await new Promise<BrokerConnection>((resolve, reject) => {
      const socket = connectKafkaSocket(host, port, tls);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new BrokerConnectionError(`${address}: no connection after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(connectEvent(tls), () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new BrokerConnection(socket, address));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new BrokerConnectionError(`${address}: ${explainSocketError(error, tls)}`));
      });
    });
    const sasl = secure?.security.sasl;
    if (!sasl) return connection;
    try {
      await authenticateSasl(connection, sasl, secure);
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  get usable(): boolean {
    return this.failure === undefined;
  }

  /** Sends the request `encode` builds for a correlation id; resolves with its decoded response. */
  request<T>(
    encode: (correlationId: number) => Buffer,
    decode: (body: ByteReader) => T,
    timeoutMs: number,
  ): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (correlationId + 1) & 0x7fffffff || 1;
    const frame = encode(correlationId);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(`no response within ${timeoutMs} ms`), timeoutMs);
      this.pending.set(correlationId, {
        decode,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.fail('connection closed by the client');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    while (this.received.length >= 4) {
      const size = this.received.readInt32BE(0);
      if (size < 4) {
        this.fail(`response frame of ${size} bytes: not a Kafka broker?`);
        return;
      }
      if (this.received.length < 4 + size) return;
      const frame = this.received.subarray(4, 4 + size);
      this.received = this.received.subarray(4 + size);
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const reader = new ByteReader(frame);
    const correlationId = reader.int32();
    const pending = this.pending.get(correlationId);
    if (!pending) {
      this.fail(`response to unknown request ${correlationId}`);
      return;
    }
    this.pending.delete(correlationId);
    clearTimeout(pending.timer);
    try {
      pending.resolve(pending.decode(reader));
    } catch (error) {
      pending.reject(error as Error);
    }
  }

  private fail(reason: string): void {
    if (!this.failure) this.failure = new BrokerConnectionError(`${this.address}: ${reason}`);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(this.failure);
    }
    this.pending.clear();
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

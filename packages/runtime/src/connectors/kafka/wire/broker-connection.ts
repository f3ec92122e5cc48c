import { connect, type Socket } from 'node:net';
import { ByteReader } from './byte-reader';

/** A broker could not be reached, or its connection broke: retry after fresh metadata. */
export class BrokerConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerConnectionError';
  }
}

interface Pending {
  readonly decode: (body: ByteReader) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One TCP connection to a broker: requests go out as they come (several in flight),
 * responses are matched by correlation id. Any socket error, and any request that
 * times out, closes the connection and fails every request still in flight.
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

  static open(host: string, port: number, timeoutMs: number): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new BrokerConnectionError(`${address}: no connection after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new BrokerConnection(socket, address));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new BrokerConnectionError(`${address}: ${error.message}`));
      });
    });
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

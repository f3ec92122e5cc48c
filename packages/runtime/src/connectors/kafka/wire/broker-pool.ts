import { decodeApiVersionsResponse, encodeApiVersionsRequest } from './api-versions-request';
import type { KafkaSecurity } from '../kafka-security';
import {
  BrokerConnection,
  BrokerConnectionError,
  type BrokerConnectionSecurity,
} from './broker-connection';
import {
  METADATA_VERSIONS,
  decodeMetadataResponse,
  encodeMetadataRequest,
  type BrokerAddress,
  type TopicMetadata,
} from './metadata-request';
import { PRODUCE_VERSION } from './produce-request';
import { API_METADATA, API_PRODUCE } from './request-header';
import { ProduceError } from './produce-error';

const CONNECT_TIMEOUT_MS = 5_000;

export interface BrokerPoolOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  /** TLS and SASL of every connection (default: plaintext). */
  readonly security?: KafkaSecurity;
}

/**
 * The cluster as a producer sees it: brokers, one connection to each, and the
 * metadata of the topics it writes. Metadata refreshes are merged: callers that ask
 * while one is waiting to start share it.
 */
export class BrokerPool {
  private readonly topics = new Map<string, TopicMetadata>();
  private brokers = new Map<number, BrokerAddress>();
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private readonly bootstrap: ReadonlyArray<{ host: string; port: number }>;
  /** The refresh running now, and the one queued behind it with the topics it will ask for. */
  private running: Promise<void> | undefined;
  private queued: { promise: Promise<void>; topics: Set<string> } | undefined;
  private closed = false;
  /** The Metadata version both sides speak, from the first broker's ApiVersions. */
  private metadataVersion: number | undefined;

  private readonly secure: BrokerConnectionSecurity;

  constructor(private readonly options: BrokerPoolOptions) {
    this.bootstrap = options.brokers.map(parseAddress);
    this.secure = {
      security: options.security ?? {},
      clientId: options.clientId,
      requestTimeoutMs: options.requestTimeoutMs,
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  forget(topic: string): void {
    this.topics.delete(topic);
  }

  knows(nodeId: number): boolean {
    return this.brokers.has(nodeId);
  }

  /** The connection to broker `nodeId`, opened (again) when it has none that works. */
  connection(nodeId: number): Promise<BrokerConnection> {
    const cached = this.connections.get(nodeId);
    if (!cached) return this.reconnect(nodeId);
    return cached.then(
      (c) => (c.usable ? c : this.reconnect(nodeId, cached)),
      () => this.reconnect(nodeId, cached),
    );
  }

  /** Fresh metadata for `topics` and every topic known so far. */
  refresh(topics: readonly string[]): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (this.queued) {
      for (const t of topics) this.queued.topics.add(t);
      return this.queued.promise;
    }
    const wanted = new Set(topics);
    const start = async () => {
      this.queued = undefined;
      const metadata = await this.fetchMetadata([...new Set([...this.topics.keys(), ...wanted])]);
      this.brokers = new Map(metadata.brokers.map((b) => [b.nodeId, b]));
      for (const t of metadata.topics) this.topics.set(t.name, t);
    };
    const promise = (this.running ?? Promise.resolve()).then(start, start);
    this.queued = { promise, topics: wanted };
    this.running = promise;
    promise
      .finally(() => {
        if (this.running === promise) this.running = undefined;
      })
      .catch(() => undefined);
    return promise;
  }

  async close(): Promise<void> {
    this.closed = true;
    const connections = [...this.connections.values()];
    this.connections.clear();
    for (const c of connections) {
      await c.then((connection) => connection.close()).catch(() => undefined);
    }
  }

  /** Opens a connection unless another caller already replaced `stale`. */
  private reconnect(nodeId: number, stale?: Promise<BrokerConnection>): Promise<BrokerConnection> {
    const current = this.connections.get(nodeId);
    if (current && current !== stale) return current;
    if (this.closed) return Promise.reject(closedError());
    const address = this.brokers.get(nodeId);
    if (!address) return Promise.reject(new BrokerConnectionError(`unknown broker ${nodeId}`));
    const opening = BrokerConnection.open(
      address.host,
      address.port,
      CONNECT_TIMEOUT_MS,
      this.secure,
    ).then((connection) => {
      // closed while connecting: do not keep the socket
      if (this.closed) connection.close();
      return connection;
    });
    this.connections.set(nodeId, opening);
    opening.catch(() => {
      if (this.connections.get(nodeId) === opening) this.connections.delete(nodeId);
    });
    return opening;
  }

  /** Asks the known brokers, then the bootstrap ones, until one answers. */
  private async fetchMetadata(topics: readonly string[]) {
    const known = [...this.brokers.values()];
    let lastError: unknown;
    for (const candidate of [...known, ...this.bootstrap]) {
      if (this.closed) throw closedError();
      try {
        const nodeId = 'nodeId' in candidate ? (candidate.nodeId as number) : undefined;
        const connection =
          nodeId !== undefined
            ? await this.connection(nodeId)
            : await BrokerConnection.open(
                candidate.host,
                candidate.port,
                CONNECT_TIMEOUT_MS,
                this.secure,
              );
        try {
          const version = this.metadataVersion ?? (await this.negotiate(connection));
          return await connection.request(
            (id) => encodeMetadataRequest(id, this.options.clientId, version, topics),
            (body) => decodeMetadataResponse(body, version),
            this.options.requestTimeoutMs,
          );
        } finally {
          if (nodeId === undefined) connection.close();
        }
      } catch (error) {
        if (!(error instanceof BrokerConnectionError)) throw error;
        lastError = error;
      }
    }
    throw lastError instanceof Error
      ? lastError
      : new BrokerConnectionError('no Kafka broker to ask for metadata');
  }

  /** Fails when the broker cannot take record batches (Kafka before 0.11). */
  private async negotiate(connection: BrokerConnection): Promise<number> {
    const versions = await connection.request(
      (id) => encodeApiVersionsRequest(id, this.options.clientId),
      decodeApiVersionsResponse,
      this.options.requestTimeoutMs,
    );
    const produce = versions.get(API_PRODUCE);
    const metadata = versions.get(API_METADATA);
    const speaks = (range: { min: number; max: number } | undefined, version: number) =>
      range !== undefined && range.min <= version && version <= range.max;
    const metadataVersion = Math.min(metadata?.max ?? -1, METADATA_VERSIONS.max);
    if (
      !speaks(produce, PRODUCE_VERSION) ||
      metadataVersion < METADATA_VERSIONS.min ||
      !speaks(metadata, metadataVersion)
    ) {
      throw new ProduceError(
        `broker ${connection.address} speaks Produce v${produce?.min}–v${produce?.max} and ` +
          `Metadata v${metadata?.min}–v${metadata?.max}; the producer needs Produce ` +
          `v${PRODUCE_VERSION} and Metadata v${METADATA_VERSIONS.min} or later (Kafka 0.11+)`,
        false,
      );
    }
    this.metadataVersion = metadataVersion;
    return metadataVersion;
  }
}

function closedError(): ProduceError {
  return new ProduceError('the producer is disconnected', false);
}

function parseAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ProduceError(`Kafka broker "${address}" is not host:port`, false);
  }
  return { host: address.slice(0, at), port };
}

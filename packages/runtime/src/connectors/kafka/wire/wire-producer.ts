import type { Logger } from '../../../util/logger';
import type { BrokerProducer, OutgoingRecord } from '../broker-client';
import { BrokerConnection, BrokerConnectionError } from './broker-connection';
import { errorName, isRetriable } from './error-codes';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from './api-versions-request';
import {
  METADATA_VERSIONS,
  decodeMetadataResponse,
  encodeMetadataRequest,
  type BrokerAddress,
  type TopicMetadata,
} from './metadata-request';
import { partitionForKey } from './murmur2';
import {
  PRODUCE_VERSION,
  decodeProduceResponse,
  encodeProduceRequest,
  type PartitionRecords,
} from './produce-request';
import { API_METADATA, API_PRODUCE } from './request-header';

export interface WireProducerOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** Attempts after the first for retriable failures (default 8). */
  readonly retries?: number;
  /** First wait before a retry, doubling (default 200 ms). */
  readonly initialRetryMs?: number;
  /** How long a request may wait for its response (default 30 000 ms). */
  readonly requestTimeoutMs?: number;
  /** Records of one partition per request, by their bytes (default 900 000: under Kafka's 1 MB). */
  readonly maxBatchBytes?: number;
}

const CONNECT_TIMEOUT_MS = 5_000;
const LAST_RETRY_MS = 10_000;

/** A send that failed for good, or after every retry; names the topic, partitions and reason. */
export class ProduceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProduceError';
  }
}

/**
 * A Kafka producer speaking the protocol itself: Metadata v4 and Produce v3, one
 * record batch per partition written straight into the request buffer. It replaces a
 * client library's per-record encoders, which cost more than reading the records.
 * `acks: -1` (all in-sync replicas); not idempotent, so a retried send may repeat
 * records, which the stable id header lets readers drop.
 */
export class WireProducer implements BrokerProducer {
  private readonly topics = new Map<string, TopicMetadata>();
  private brokers = new Map<number, BrokerAddress>();
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private refreshing: Promise<void> | undefined;
  private readonly nextPartition = new Map<string, number>();
  private closed = false;
  /** The Metadata version both sides speak, from the first broker's ApiVersions. */
  private metadataVersion: number | undefined;

  constructor(private readonly options: WireProducerOptions) {}

  /** Fetches the cluster's brokers; fails when none of the bootstrap brokers answers. */
  async connect(): Promise<void> {
    await this.refresh([]);
  }

  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    let pending = this.byPartition(topic, await this.partitionCount(topic), records);
    const retries = this.options.retries ?? 8;
    let waitMs = this.options.initialRetryMs ?? 200;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.sendOnce(topic, pending);
      if (outcome.failed.length === 0) return;
      if (attempt >= retries || this.closed) {
        throw new ProduceError(
          `could not write to topic "${topic}" partitions ${partitionList(outcome.failed)} ` +
            `after ${attempt + 1} attempts: ${outcome.reason}`,
        );
      }
      this.options.logger.debug(
        `produce to "${topic}" partitions ${partitionList(outcome.failed)} failed ` +
          `(${outcome.reason}); retrying in ${waitMs} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      waitMs = Math.min(waitMs * 2, LAST_RETRY_MS);
      pending = outcome.failed;
      await this.refresh([topic]).catch(() => undefined);
    }
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    const connections = [...this.connections.values()];
    this.connections.clear();
    for (const c of connections) {
      await c.then((connection) => connection.close()).catch(() => undefined);
    }
  }

  private async partitionCount(topic: string): Promise<number> {
    const retries = this.options.retries ?? 8;
    let waitMs = this.options.initialRetryMs ?? 200;
    for (let attempt = 0; ; attempt++) {
      let reason: string;
      try {
        let metadata = this.topics.get(topic);
        if (!metadata) {
          await this.refresh([topic]);
          metadata = this.topics.get(topic);
        }
        if (metadata && metadata.errorCode === 0 && metadata.partitions.length > 0) {
          return metadata.partitions.length;
        }
        const code = metadata?.errorCode ?? 3;
        if (metadata && !isRetriable(code)) {
          throw new ProduceError(`topic "${topic}": ${errorName(code)}`);
        }
        this.topics.delete(topic);
        reason = errorName(code);
      } catch (error) {
        if (!(error instanceof BrokerConnectionError)) throw error;
        reason = error.message;
      }
      if (attempt >= retries || this.closed) {
        throw new ProduceError(`no metadata for topic "${topic}": ${reason}`);
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      waitMs = Math.min(waitMs * 2, LAST_RETRY_MS);
    }
  }

  /** Records grouped by partition, in their order: explicit, by key (murmur2), or round robin. */
  private byPartition(
    topic: string,
    partitions: number,
    records: readonly OutgoingRecord[],
  ): PartitionRecords[] {
    const groups = new Map<number, OutgoingRecord[]>();
    let next = this.nextPartition.get(topic) ?? Math.floor(Math.random() * partitions);
    for (const r of records) {
      let partition = r.partition;
      if (partition === undefined) {
        partition = r.key !== null ? partitionForKey(r.key, partitions) : next++ % partitions;
      } else if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        throw new ProduceError(
          `topic "${topic}" has partitions 0 to ${partitions - 1}; a record asks for ${partition}`,
        );
      }
      const group = groups.get(partition);
      if (group) group.push(r);
      else groups.set(partition, [r]);
    }
    this.nextPartition.set(topic, next % partitions);
    return [...groups].map(([partition, group]) => ({ partition, records: group }));
  }

  /**
   * One attempt: each leader gets the records of its partitions, at most `maxBatchBytes`
   * per partition per request, requests to one leader one after the other (so a
   * partition's records stay in order). A partition that fails is not sent further.
   */
  private async sendOnce(
    topic: string,
    partitions: readonly PartitionRecords[],
  ): Promise<{ failed: PartitionRecords[]; reason: string }> {
    const failed = new Map<number, OutgoingRecord[]>();
    let reason = '';
    const fail = (partition: number, records: readonly OutgoingRecord[], why: string) => {
      const list = failed.get(partition);
      if (list) list.push(...records);
      else failed.set(partition, [...records]);
      reason = why;
    };
    const byLeader = new Map<number, PartitionRecords[]>();
    const metadata = this.topics.get(topic);
    for (const p of partitions) {
      const leader = metadata?.partitions.find((m) => m.partition === p.partition)?.leader ?? -1;
      if (leader < 0 || !this.brokers.has(leader)) {
        fail(p.partition, p.records, `no leader for partition ${p.partition}`);
        continue;
      }
      const list = byLeader.get(leader);
      if (list) list.push(p);
      else byLeader.set(leader, [p]);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const chunks = list.map((p) => chunk(p, this.options.maxBatchBytes ?? 900_000));
        for (let round = 0; ; round++) {
          const batch: PartitionRecords[] = [];
          for (const c of chunks) {
            if (round < c.length && !failed.has(c[round].partition)) batch.push(c[round]);
            else if (round < c.length) fail(c[round].partition, c[round].records, reason);
          }
          if (batch.length === 0) return;
          try {
            const results = await this.produce(leader, topic, batch);
            for (const r of results) {
              if (r.errorCode === 0) continue;
              const p = batch.find((b) => b.partition === r.partition) as PartitionRecords;
              if (!isRetriable(r.errorCode)) {
                throw new ProduceError(
                  `topic "${topic}" partition ${r.partition} refused ${p.records.length} ` +
                    `records: ${errorName(r.errorCode)}`,
                );
              }
              fail(r.partition, p.records, errorName(r.errorCode));
            }
          } catch (error) {
            if (!(error instanceof BrokerConnectionError)) throw error;
            this.connections.delete(leader);
            for (const p of batch) fail(p.partition, p.records, error.message);
          }
        }
      }),
    );
    return { failed: [...failed].map(([partition, records]) => ({ partition, records })), reason };
  }

  private async produce(leader: number, topic: string, batch: readonly PartitionRecords[]) {
    const connection = await this.connection(leader);
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    return connection.request(
      (id) =>
        encodeProduceRequest(id, this.options.clientId, -1, timeoutMs, [
          { topic, partitions: batch },
        ]),
      decodeProduceResponse,
      timeoutMs + 5_000,
    );
  }

  private connection(nodeId: number): Promise<BrokerConnection> {
    const cached = this.connections.get(nodeId);
    if (cached) {
      return cached.then((c) => (c.usable ? c : this.reconnect(nodeId)));
    }
    return this.reconnect(nodeId);
  }

  private reconnect(nodeId: number): Promise<BrokerConnection> {
    const address = this.brokers.get(nodeId);
    if (!address) return Promise.reject(new BrokerConnectionError(`unknown broker ${nodeId}`));
    const opening = BrokerConnection.open(address.host, address.port, CONNECT_TIMEOUT_MS);
    this.connections.set(nodeId, opening);
    opening.catch(() => {
      if (this.connections.get(nodeId) === opening) this.connections.delete(nodeId);
    });
    return opening;
  }

  /** Fresh metadata for `topics` (and the brokers), one refresh at a time. */
  private refresh(topics: readonly string[]): Promise<void> {
    const run = async () => {
      const wanted = [...new Set([...this.topics.keys(), ...topics])];
      const metadata = await this.fetchMetadata(wanted);
      this.brokers = new Map(metadata.brokers.map((b) => [b.nodeId, b]));
      for (const t of metadata.topics) this.topics.set(t.name, t);
    };
    const previous = this.refreshing ?? Promise.resolve();
    const next = previous.then(run, run);
    this.refreshing = next;
    next
      .finally(() => {
        if (this.refreshing === next) this.refreshing = undefined;
      })
      .catch(() => undefined);
    return next;
  }

  private async negotiate(connection: BrokerConnection): Promise<number> {
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    this.metadataVersion = await negotiateWith(connection, this.options.clientId, timeoutMs);
    return this.metadataVersion;
  }

  /** Asks the known brokers, then the bootstrap ones, until one answers. */
  private async fetchMetadata(topics: readonly string[]) {
    const candidates: Array<{ host: string; port: number; nodeId?: number }> = [
      ...this.brokers.values(),
      ...this.options.brokers.map(parseAddress),
    ];
    let lastError: unknown;
    for (const candidate of candidates) {
      try {
        const connection =
          candidate.nodeId !== undefined
            ? await this.connection(candidate.nodeId)
            : await BrokerConnection.open(candidate.host, candidate.port, CONNECT_TIMEOUT_MS);
        try {
          const version = this.metadataVersion ?? (await this.negotiate(connection));
          return await connection.request(
            (id) => encodeMetadataRequest(id, this.options.clientId, version, topics),
            (body) => decodeMetadataResponse(body, version),
            this.options.requestTimeoutMs ?? 30_000,
          );
        } finally {
          if (candidate.nodeId === undefined) connection.close();
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
}

/** Fails when the broker cannot take record batches (Kafka before 0.11). */
async function negotiateWith(
  connection: BrokerConnection,
  clientId: string,
  timeoutMs: number,
): Promise<number> {
  const versions = await connection.request(
    (id) => encodeApiVersionsRequest(id, clientId),
    decodeApiVersionsResponse,
    timeoutMs,
  );
  const produce = versions.get(API_PRODUCE) ?? -1;
  const metadata = Math.min(versions.get(API_METADATA) ?? -1, METADATA_VERSIONS.max);
  if (produce < PRODUCE_VERSION || metadata < METADATA_VERSIONS.min) {
    throw new ProduceError(
      `broker ${connection.address} speaks Produce up to v${produce} and Metadata up to ` +
        `v${metadata}; stream-gen needs Produce v${PRODUCE_VERSION} and Metadata ` +
        `v${METADATA_VERSIONS.min} (Kafka 0.11 or later)`,
    );
  }
  return metadata;
}

function parseAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port)) {
    throw new ProduceError(`Kafka broker "${address}" is not host:port`);
  }
  return { host: address.slice(0, at), port };
}

/** A partition's records in requests of at most about `maxBytes` (UTF-8 bytes of keys, values, headers). */
function chunk(p: PartitionRecords, maxBytes: number): PartitionRecords[] {
  const sizes = p.records.map(recordChars);
  // A UTF-16 code unit takes at most 3 bytes in UTF-8: most flushes need no counting.
  if (sizes.reduce((sum, s) => sum + s, 0) * 3 <= maxBytes) return [p];
  const chunks: PartitionRecords[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < p.records.length; i++) {
    const size = recordBytes(p.records[i]);
    if (i > start && bytes + size > maxBytes) {
      chunks.push({ partition: p.partition, records: p.records.slice(start, i) });
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  chunks.push({ partition: p.partition, records: p.records.slice(start) });
  return chunks;
}

const RECORD_OVERHEAD = 24;

function recordChars(r: OutgoingRecord): number {
  let size = RECORD_OVERHEAD + r.value.length + (r.key?.length ?? 0);
  for (const name in r.headers) size += name.length + r.headers[name].length;
  return size;
}

function recordBytes(r: OutgoingRecord): number {
  let size = RECORD_OVERHEAD + Buffer.byteLength(r.value) + (r.key ? Buffer.byteLength(r.key) : 0);
  for (const name in r.headers)
    size += Buffer.byteLength(name) + Buffer.byteLength(r.headers[name]);
  return size;
}

function partitionList(partitions: readonly PartitionRecords[]): string {
  return partitions.map((p) => p.partition).join(', ');
}

import type { CompressionName } from './compression-codecs';

/**
 * The seam between the runtime and a Kafka client library: the runner and the sink
 * use only these interfaces, so another client (librdkafka bindings, say) can be
 * added without touching tasks or operators.
 */

export interface BrokerRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

export interface OutgoingRecord {
  /** Explicit partition; by default the client's partitioner picks one from the key. */
  readonly partition?: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

export interface SendOptions {
  /** The codec of the record batches (default: uncompressed). */
  readonly compression?: CompressionName;
}

export interface BrokerProducer {
  /** Resolves once every record is acknowledged by all in-sync replicas. */
  send(topic: string, records: readonly OutgoingRecord[], options?: SendOptions): Promise<void>;
  disconnect(): Promise<void>;
}

/** Topic -> partitions assigned to this member. */
export type Assignment = Readonly<Record<string, readonly number[]>>;

export interface ConsumerHandlers {
  /** Called after every rebalance with the member's whole new assignment. */
  onAssignment(assignment: Assignment): Promise<void>;
  /** One fetched batch; the next batch of that partition waits for it (back-pressure). */
  onBatch(topic: string, partition: number, records: readonly BrokerRecord[]): Promise<void>;
  /** A failure outside any batch (handling an assignment): the job stops. */
  onError(error: unknown): void;
}

export interface BrokerConsumer {
  /**
   * Joins the group with the given topics; partition p of every topic goes to the same
   * member (co-partitioning). Runs until `stop`.
   */
  run(topics: readonly string[], handlers: ConsumerHandlers): Promise<void>;
  /**
   * The partition is read from `offset` on: the next batch of it handed to `onBatch` is
   * one fetched from there, none fetched before the seek took (from the group's
   * committed offset, say).
   */
  seek(topic: string, partition: number, offset: number): void;
  /** Stops fetching (the member stays in the group until `stop`). */
  pause(topics: readonly string[]): void;
  /** Records the group's position (for lag tools; tasks restore from checkpoints). */
  commit(topic: string, partition: number, nextOffset: number): Promise<void>;
  stop(): Promise<void>;
}

export interface BrokerClient {
  readonly brokers: readonly string[];
  producer(): Promise<BrokerProducer>;
  consumer(groupId: string): Promise<BrokerConsumer>;
  partitionCount(topic: string): Promise<number>;
}

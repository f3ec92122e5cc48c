import type { OutRecord, RawRecord } from '../records';

export interface ReadResult {
  readonly records: readonly RawRecord[];
  /** True once the partition is over (bounded inputs only): no record will follow. */
  readonly end: boolean;
}

/** One partition of a source, read from a position on. */
export interface PartitionReader {
  /** Up to `maxRecords` records; an empty array means nothing is available right now. */
  read(maxRecords: number): Promise<ReadResult>;
  /** Everything below `nextOffset` is checkpointed (lets a log record the consumer position). */
  commit?(nextOffset: number): Promise<void>;
  close(): Promise<void>;
}

/** A named input of a job: a topic, a file, ... */
export interface SourceConnector {
  readonly name: string;
  /** Bounded inputs end; the job ends when all its inputs did and every timer fired. */
  readonly bounded: boolean;
  /** For the start-up log line, e.g. `file ./plays.jsonl`. */
  describe(): string;
  partitions(): Promise<number>;
  open(partition: number, fromOffset: number): Promise<PartitionReader>;
}

/** A record a sink refused for good (a table constraint, say): dead-lettered, never retried. */
export interface SinkRefusal {
  readonly record: OutRecord;
  readonly reason: string;
}

/**
 * A named output of a job. `write` resolves once the records are durable in the sink,
 * with the ones it refused for good, if any; it rejects when the sink could not take
 * them now (the write is retried).
 */
export interface SinkConnector {
  readonly name: string;
  describe(): string;
  open(): Promise<void>;
  write(records: readonly OutRecord[]): Promise<void | readonly SinkRefusal[]>;
  close(): Promise<void>;
}

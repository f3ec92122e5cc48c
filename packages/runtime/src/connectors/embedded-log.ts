import { ConfigurationError } from '../util/errors';
import { stableHash } from '../util/stable-hash';

export interface LogRecord {
  /** Position in its partition, from 0. */
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

interface Topic {
  readonly partitions: LogRecord[][];
  sealed: boolean;
}

export interface AppendRecord {
  readonly key?: string | null;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timestamp?: number;
  /** Explicit partition; by default the key's hash picks it (no key: round robin). */
  readonly partition?: number;
}

/**
 * A partitioned, append-only log in this process: the embedded stand-in for Kafka.
 * Offsets start at 0 per partition; consumer groups record their positions.
 * A sealed topic is bounded: readers reach its end.
 */
export class EmbeddedLog {
  private readonly topics = new Map<string, Topic>();
  private readonly groupOffsets = new Map<string, number>();
  private roundRobin = 0;

  constructor(readonly defaultPartitions = 4) {}

  createTopic(name: string, partitions = this.defaultPartitions): void {
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new ConfigurationError(
        `topic "${name}": partitions must be a whole number >= 1, got ${partitions}`,
      );
    }
    const existing = this.topics.get(name);
    if (existing) {
      if (existing.partitions.length !== partitions) {
        throw new ConfigurationError(
          `topic "${name}" exists with ${existing.partitions.length} partitions, not ${partitions}`,
        );
      }
      return;
    }
    this.topics.set(name, {
      partitions: Array.from({ length: partitions }, () => []),
      sealed: false,
    });
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  partitionCount(name: string): number {
    return this.topic(name).partitions.length;
  }

  /** Appends records (creating the topic if needed); returns the partition and offset of each. */
  append(
    name: string,
    records: readonly AppendRecord[],
  ): Array<{ partition: number; offset: number }> {
    if (!this.topics.has(name)) this.createTopic(name);
    const topic = this.topic(name);
    if (topic.sealed)
      throw new ConfigurationError(`topic "${name}" is sealed: it takes no more records`);
    const n = topic.partitions.length;
    return records.map((r) => {
      const partition =
        r.partition ??
        (r.key === undefined || r.key === null ? this.roundRobin++ % n : stableHash(r.key) % n);
      if (!(partition >= 0 && partition < n)) {
        throw new RangeError(`topic "${name}" has partitions 0..${n - 1}, not ${partition}`);
      }
      const log = topic.partitions[partition];
      log.push({
        offset: log.length,
        key: r.key ?? null,
        value: r.value,
        headers: r.headers ?? {},
        timestamp: r.timestamp ?? Date.now(),
      });
      return { partition, offset: log.length - 1 };
    });
  }

  /** Marks the topic complete: readers that reach its end see `end`. */
  seal(name: string): void {
    if (!this.topics.has(name)) this.createTopic(name);
    this.topic(name).sealed = true;
  }

  isSealed(name: string): boolean {
    return this.topic(name).sealed;
  }

  read(
    name: string,
    partition: number,
    offset: number,
    max: number,
  ): { records: LogRecord[]; end: boolean } {
    const log = this.partition(name, partition);
    const records = log.slice(offset, offset + max);
    return { records, end: this.topic(name).sealed && offset + records.length >= log.length };
  }

  endOffset(name: string, partition: number): number {
    return this.partition(name, partition).length;
  }

  commitOffset(group: string, name: string, partition: number, nextOffset: number): void {
    this.groupOffsets.set(`${group}\u0000${name}\u0000${partition}`, nextOffset);
  }

  committedOffset(group: string, name: string, partition: number): number | undefined {
    return this.groupOffsets.get(`${group}\u0000${name}\u0000${partition}`);
  }

  /** Records not yet committed by the group, summed over the topic's partitions. */
  lag(group: string, name: string): number {
    return this.topic(name).partitions.reduce(
      (sum, log, p) => sum + log.length - (this.committedOffset(group, name, p) ?? 0),
      0,
    );
  }

  private topic(name: string): Topic {
    const topic = this.topics.get(name);
    if (!topic) throw new ConfigurationError(`embedded log has no topic "${name}"`);
    return topic;
  }

  private partition(name: string, partition: number): LogRecord[] {
    const log = this.topic(name).partitions[partition];
    if (!log) throw new RangeError(`topic "${name}" has no partition ${partition}`);
    return log;
  }
}

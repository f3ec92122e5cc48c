import type { OutRecord } from '../records';
import type { PartitionReader, ReadResult, SinkConnector, SourceConnector } from './connector';
import type { EmbeddedLog } from './embedded-log';
import { toWire } from './json-codec';

/** Reads a topic of the embedded log; bounded once the topic is sealed. */
export class EmbeddedLogSource implements SourceConnector {
  constructor(
    private readonly log: EmbeddedLog,
    readonly name: string,
    private readonly topic = name,
    private readonly group = 'stream-gen',
  ) {}

  get bounded(): boolean {
    return this.log.hasTopic(this.topic) && this.log.isSealed(this.topic);
  }

  describe(): string {
    return `embedded topic "${this.topic}"`;
  }

  async partitions(): Promise<number> {
    if (!this.log.hasTopic(this.topic)) this.log.createTopic(this.topic);
    return this.log.partitionCount(this.topic);
  }

  async open(partition: number, fromOffset: number): Promise<PartitionReader> {
    const { log, topic, group } = this;
    let position = fromOffset;
    return {
      async read(maxRecords: number): Promise<ReadResult> {
        // records carry their offsets, so they are handed out as stored
        const { records, end } = log.read(topic, partition, position, maxRecords);
        position += records.length;
        return { records, end };
      },
      async commit(nextOffset: number) {
        log.commitOffset(group, topic, partition, nextOffset);
      },
      async close() {},
    };
  }
}

/** Appends to a topic of the embedded log; values as JSON, keys and headers kept. */
export class EmbeddedLogSink implements SinkConnector {
  constructor(
    private readonly log: EmbeddedLog,
    readonly name: string,
    private readonly topic = name,
  ) {}

  describe(): string {
    return `embedded topic "${this.topic}"`;
  }

  async open(): Promise<void> {
    if (!this.log.hasTopic(this.topic)) this.log.createTopic(this.topic);
  }

  async write(records: readonly OutRecord[]): Promise<void> {
    this.log.append(this.topic, records.map(toWire));
  }

  async close(): Promise<void> {}
}

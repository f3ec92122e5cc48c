import type { OutRecord } from '../../records';
import type { SinkConnector } from '../connector';
import { toWire } from '../json-codec';
import type { BrokerProducer } from './broker-client';
import type { CompressionName } from './compression-codecs';

/** A sink's producer of its own (a topic of another cluster): named, and let go when it closes. */
export interface OwnProducer {
  /** Where it writes, for the job's start-up line: `at host:port,...`. */
  readonly where: string;
  release(): Promise<void>;
}

/**
 * A topic as a sink: batched sends, values as JSON, keys and the stable id header kept;
 * record batches compressed with `compression` when given. Its producer is the job's
 * shared one, or one of its own (`own`), released when the sink closes.
 */
export class KafkaSink implements SinkConnector {
  private closed = false;

  constructor(
    readonly name: string,
    private readonly topic: string,
    private readonly producer: () => Promise<BrokerProducer>,
    private readonly compression?: CompressionName,
    private readonly own?: OwnProducer,
  ) {}

  /** The same sink, its batches compressed with `codec`. */
  compressed(codec: CompressionName): KafkaSink {
    return new KafkaSink(this.name, this.topic, this.producer, codec, this.own);
  }

  describe(): string {
    const where = this.own ? ` ${this.own.where}` : '';
    return `Kafka topic "${this.topic}"${where}${this.compression ? ` (${this.compression})` : ''}`;
  }

  async open(): Promise<void> {
    await this.producer();
  }

  async write(records: readonly OutRecord[]): Promise<void> {
    // a write retried after the job closed must not open the producer again
    if (this.closed)
      throw Object.assign(new Error(`sink "${this.name}" is closed`), { retriable: false });
    const producer = await this.producer();
    await producer.send(
      this.topic,
      records.map(toWire),
      this.compression && { compression: this.compression },
    );
  }

  /** A shared producer is the runner's to disconnect; one of its own is released here. */
  async close(): Promise<void> {
    this.closed = true;
    await this.own?.release();
  }
}

/** `sink` compressing with `codec` when it is a topic (other sinks have no codec). */
export function withCompression(sink: SinkConnector, codec?: CompressionName): SinkConnector {
  return codec && sink instanceof KafkaSink ? sink.compressed(codec) : sink;
}

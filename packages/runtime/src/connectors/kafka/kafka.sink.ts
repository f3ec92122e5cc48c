import type { OutRecord } from '../../records';
import type { SinkConnector } from '../connector';
import { toWire } from '../json-codec';
import type { BrokerProducer } from './broker-client';
import type { CompressionName } from './compression-codecs';

/**
 * A topic as a sink: batched sends, values as JSON, keys and the stable id header kept;
 * record batches compressed with `compression` when given.
 */
export class KafkaSink implements SinkConnector {
  constructor(
    readonly name: string,
    private readonly topic: string,
    private readonly producer: () => Promise<BrokerProducer>,
    private readonly compression?: CompressionName,
  ) {}

  /** The same sink, its batches compressed with `codec`. */
  compressed(codec: CompressionName): KafkaSink {
    return new KafkaSink(this.name, this.topic, this.producer, codec);
  }

  describe(): string {
    return `Kafka topic "${this.topic}"${this.compression ? ` (${this.compression})` : ''}`;
  }

  async open(): Promise<void> {
    await this.producer();
  }

  async write(records: readonly OutRecord[]): Promise<void> {
    const producer = await this.producer();
    await producer.send(
      this.topic,
      records.map(toWire),
      this.compression && { compression: this.compression },
    );
  }

  /** The producer is shared by the job's sinks; the runner disconnects it. */
  async close(): Promise<void> {}
}

/** `sink` compressing with `codec` when it is a topic (other sinks have no codec). */
export function withCompression(sink: SinkConnector, codec?: CompressionName): SinkConnector {
  return codec && sink instanceof KafkaSink ? sink.compressed(codec) : sink;
}

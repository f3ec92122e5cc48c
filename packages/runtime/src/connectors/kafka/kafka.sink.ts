import type { OutRecord } from '../../records';
import type { SinkConnector } from '../connector';
import { toWire } from '../json-codec';
import type { BrokerProducer } from './broker-client';

/** A topic as a sink: batched sends, values as JSON, keys and the stable id header kept. */
export class KafkaSink implements SinkConnector {
  constructor(
    readonly name: string,
    private readonly topic: string,
    private readonly producer: () => Promise<BrokerProducer>,
  ) {}

  describe(): string {
    return `Kafka topic "${this.topic}"`;
  }

  async open(): Promise<void> {
    await this.producer();
  }

  async write(records: readonly OutRecord[]): Promise<void> {
    const producer = await this.producer();
    await producer.send(this.topic, records.map(toWire));
  }

  /** The producer is shared by the job's sinks; the runner disconnects it. */
  async close(): Promise<void> {}
}

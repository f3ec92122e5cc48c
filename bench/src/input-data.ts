import { generateEvents, joinKey, type GeneratedEvent } from '@stream-gen/sample-impression-join';
import type { CompressionTypes, Kafka, Producer } from 'kafkajs';

export interface EncodedEvent {
  readonly topic: string;
  readonly message: { key: string; value: string };
}

/** Generated join events as topic messages, keyed by the join key (co-partitioned). */
export function encodeEvents(
  events: readonly GeneratedEvent[],
  topics: { readonly impressions: string; readonly plays: string },
): EncodedEvent[] {
  return events.map((e) => ({
    topic: topics[e.topic],
    message: { key: joinKey(e.value), value: JSON.stringify(e.value) },
  }));
}

/** Encoded events grouped per topic, in order, for `sendBatch`. */
export function byTopic(
  encoded: readonly EncodedEvent[],
): Array<{ topic: string; messages: Array<{ key: string; value: string }> }> {
  const groups = new Map<string, Array<{ key: string; value: string }>>();
  for (const { topic, message } of encoded) {
    const messages = groups.get(topic);
    if (messages) messages.push(message);
    else groups.set(topic, [message]);
  }
  return [...groups].map(([topic, messages]) => ({ topic, messages }));
}

/** The seeded input of the join workloads. */
export function joinEvents(impressions: number, seed: number): GeneratedEvent[] {
  return generateEvents({ impressions, seed });
}

/**
 * Sends each topic's events in arrival order, `recordsPerPartition` × `partitions` per
 * request. The mock Kafka answers a fetch with one message set per partition, so this
 * sets the batch size every consumer of the input gets (a real broker returns up to
 * maxBytesPerPartition, 1 MB by default, of a backlog at once). With `compression`,
 * each of those batches is compressed (the codec registered in kafkajs).
 */
export async function produceEvents(
  producer: Producer,
  events: readonly GeneratedEvent[],
  topics: { readonly impressions: string; readonly plays: string },
  partitions: number,
  recordsPerPartition = 1000,
  compression?: CompressionTypes,
): Promise<void> {
  const chunk = recordsPerPartition * partitions;
  for (const { topic, messages } of byTopic(encodeEvents(events, topics))) {
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send({ topic, acks: -1, compression, messages: messages.slice(i, i + chunk) });
    }
  }
}

/**
 * Fails when a topic no longer starts at offset 0: librdkafka's mock cluster keeps about
 * 5 MB per partition and drops the oldest records beyond that, so a workload would wait
 * for input that is gone.
 */
export async function checkRetained(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const dropped = offsets.filter((o) => Number(o.low) > 0);
      if (dropped.length > 0) {
        throw new Error(
          `the mock Kafka dropped the start of ${topic} (partitions ${dropped.map((o) => `${o.partition} from ${o.low}`).join(', ')}): ` +
            'it keeps about 5 MB per partition; generate fewer impressions',
        );
      }
    }
  } finally {
    await admin.disconnect();
  }
}

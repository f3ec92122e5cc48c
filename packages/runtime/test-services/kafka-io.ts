/**
 * Writing JSON records to topics and reading topics back, for tests that run a job
 * as a process on Kafka. No test-framework dependency.
 */
import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaConfig } from 'kafkajs';
import { fastConsumerConfig, type KafkaSecurity } from './services';
import { kafkaSecurityFor } from './kafka-test-security';

export interface ProducedRecord {
  readonly value: unknown;
  readonly key?: string;
  /** Explicit partition; otherwise the key's hash picks it. */
  readonly partition?: number;
  /** Sent as is instead of JSON (malformed input). */
  readonly raw?: string | null;
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: unknown;
  readonly headers: Record<string, string>;
}

/** A kafkajs client of a test cluster, with its security settings when it runs behind the secure proxy. */
export function kafkaClient(
  brokers: readonly string[],
  security: KafkaSecurity | undefined = kafkaSecurityFor(brokers),
): Kafka {
  return new Kafka({
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    clientId: 'test',
    ...kafkajsSecurity(security),
  });
}

/** kafkajs' `ssl` and `sasl` options for `security` (none when undefined). */
export function kafkajsSecurity(
  security: KafkaSecurity | undefined,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (security?.ssl) out.ssl = { ca: [security.ssl.caPem] };
  if (security?.sasl) {
    const { username, password } = security.sasl;
    const mechanism = security.sasl.mechanism.toLowerCase() as
      'plain' | 'scram-sha-256' | 'scram-sha-512';
    out.sasl = { mechanism, username, password } as KafkaConfig['sasl'];
  }
  return out;
}

/** Sends the records in order, in one batch per `chunk` records. */
export async function produce(
  kafka: Kafka,
  topic: string,
  records: readonly ProducedRecord[],
  chunk = 2000,
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: records.slice(i, i + chunk).map((r) => ({
          key: r.key,
          partition: r.partition,
          value: r.raw !== undefined ? r.raw : JSON.stringify(r.value),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Reads topics from the beginning into memory until closed. */
export class TopicReader {
  readonly records: ConsumedRecord[] = [];
  private readonly watchers = new Set<() => void>();

  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topics: readonly string[]): Promise<TopicReader> {
    const groupId = `reader-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const consumer = kafka.consumer({ groupId, ...fastConsumerConfig });
    const reader = new TopicReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          reader.records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: Number(m.offset),
            key: m.key?.toString() ?? null,
            value: m.value === null ? null : JSON.parse(m.value.toString()),
            headers: headersOf(m.headers),
          });
        }
        reader.watchers.forEach((w) => w());
      },
    });
    return reader;
  }

  values<T>(topic: string): T[] {
    return this.records.filter((r) => r.topic === topic).map((r) => r.value as T);
  }

  /** Resolves once `done(records)` holds; rejects after `timeoutMs` with `describe()`. */
  waitFor(
    done: (records: readonly ConsumedRecord[]) => boolean,
    timeoutMs: number,
    describe: () => string = () => `${this.records.length} records read`,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.records)) return;
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      this.watchers.add(check);
      check();
    });
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = String(v);
  return out;
}

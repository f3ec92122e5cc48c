import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaMessage } from 'kafkajs';
import { WireProducer } from './wire/wire-producer';
import type { Logger } from '../../util/logger';
import type {
  Assignment,
  BrokerClient,
  BrokerConsumer,
  BrokerProducer,
  BrokerRecord,
  ConsumerHandlers,
} from './broker-client';
import { coPartitionedAssigner } from './co-partitioned-assigner';

/** How long a fetch waits for data by default, as Kafka's own consumer (fetch.max.wait.ms). */
export const DEFAULT_KAFKA_MAX_WAIT_MS = 500;

export interface KafkajsClientOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly logger: Logger;
  /** Consumer session timeout (default 10000 ms): how long a dead member keeps its partitions. */
  readonly sessionTimeoutMs?: number;
  /**
   * How long a fetch waits for data when there is none (default
   * {@link DEFAULT_KAFKA_MAX_WAIT_MS}). A broker answers early when data arrives; some
   * (the test broker) do not.
   */
  readonly maxWaitTimeMs?: number;
}

/**
 * The BrokerClient on kafkajs (consumer groups, offsets, metadata) with its own producer.
 * Producers are not idempotent (the test broker cannot do it).
 */
export class KafkajsClient implements BrokerClient {
  private readonly kafka: Kafka;

  constructor(private readonly options: KafkajsClientOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'stream-gen',
      brokers: [...options.brokers],
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => options.logger.warn(`kafkajs: ${entry.log.message}`),
      retry: { retries: 8, initialRetryTime: 200 },
    });
  }

  get brokers(): readonly string[] {
    return this.options.brokers;
  }

  /**
   * The producer speaks the protocol itself ({@link WireProducer}): kafkajs' producer
   * encodes each record through several small buffers, which cost more than reading it.
   */
  async producer(): Promise<BrokerProducer> {
    const producer = new WireProducer({
      brokers: this.options.brokers,
      clientId: this.options.clientId ?? 'stream-gen',
      logger: this.options.logger,
    });
    await producer.connect();
    return producer;
  }

  async consumer(groupId: string): Promise<BrokerConsumer> {
    const consumer = this.kafka.consumer({
      groupId,
      partitionAssigners: [coPartitionedAssigner],
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? DEFAULT_KAFKA_MAX_WAIT_MS,
      // Rejoining after a crash is always safe: tasks restore from checkpoints. kafkajs
      // asks here only for errors it knows to be retriable; KafkajsConsumer rejoins
      // after the others (a broker answering a rebalance oddly).
      retry: {
        retries: 8,
        initialRetryTime: 200,
        restartOnFailure: async (error: Error) => {
          this.options.logger.warn(
            `Kafka consumer stopped (${error.message}); rejoining the group`,
          );
          return true;
        },
      },
      allowAutoTopicCreation: true,
    });
    await consumer.connect();
    return new KafkajsConsumer(consumer, this.options.logger);
  }

  async partitionCount(topic: string): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      return metadata.topics[0]?.partitions.length ?? 0;
    } finally {
      await admin.disconnect();
    }
  }
}

const FIRST_REJOIN_DELAY_MS = 1_000;
const LAST_REJOIN_DELAY_MS = 30_000;

class KafkajsConsumer implements BrokerConsumer {
  /** Assignment changes are handled one after another, before any batch of the new generation. */
  private assignments: Promise<void> = Promise.resolve();
  private readonly pendingSeeks = new Map<string, number>();
  private stopped = false;
  private rejoinDelayMs = FIRST_REJOIN_DELAY_MS;
  private rejoinTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly logger: Logger,
  ) {}

  async run(topics: readonly string[], handlers: ConsumerHandlers): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.rejoinDelayMs = FIRST_REJOIN_DELAY_MS;
      const assignment = payload.memberAssignment as Assignment;
      this.assignments = this.assignments
        .then(() => handlers.onAssignment(assignment))
        .catch((error: unknown) => handlers.onError(error));
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.rejoinLater(topics, handlers, payload.error);
    });
    await this.join(topics, handlers);
  }

  /**
   * kafkajs leaves a consumer stopped after an error it does not know to be retriable;
   * the job would sit idle. Rejoin with backoff (1 s doubling to 30 s) until a join works.
   */
  private rejoinLater(topics: readonly string[], handlers: ConsumerHandlers, error: Error): void {
    if (this.stopped) return;
    const delayMs = this.rejoinDelayMs;
    this.rejoinDelayMs = Math.min(delayMs * 2, LAST_REJOIN_DELAY_MS);
    this.logger.warn(
      `Kafka consumer stopped (${error.message}); rejoining the group in ${delayMs} ms`,
    );
    this.rejoinTimer = setTimeout(() => {
      if (this.stopped) return;
      this.consumer
        .connect()
        .then(() => this.join(topics, handlers))
        .catch((cause: Error) => this.rejoinLater(topics, handlers, cause));
    }, delayMs);
  }

  private async join(topics: readonly string[], handlers: ConsumerHandlers): Promise<void> {
    await this.consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 64,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        await this.assignments;
        const pending = this.pendingSeeks.get(`${batch.topic}:${batch.partition}`);
        if (pending !== undefined) {
          // A seek asked for before the consumer could take it: apply it, drop this batch
          // (it was fetched from the old position), and let the fetch restart there.
          this.pendingSeeks.delete(`${batch.topic}:${batch.partition}`);
          this.consumer.seek({
            topic: batch.topic,
            partition: batch.partition,
            offset: String(pending),
          });
          return;
        }
        const records: BrokerRecord[] = batch.messages.map((m) => new KafkajsRecord(m));
        await handlers.onBatch(batch.topic, batch.partition, records);
        await heartbeat();
      },
    });
  }

  seek(topic: string, partition: number, offset: number): void {
    try {
      this.consumer.seek({ topic, partition, offset: String(offset) });
    } catch {
      // kafkajs refuses seeks while the group is still joining; apply it at the first batch.
      this.pendingSeeks.set(`${topic}:${partition}`, offset);
    }
  }

  pause(topics: readonly string[]): void {
    this.consumer.pause(topics.map((topic) => ({ topic })));
  }

  async commit(topic: string, partition: number, nextOffset: number): Promise<void> {
    await this.consumer.commitOffsets([{ topic, partition, offset: String(nextOffset) }]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.rejoinTimer);
    await this.consumer.disconnect();
  }
}

/** A kafkajs message as a BrokerRecord; its headers are decoded when read (the runner does not). */
class KafkajsRecord implements BrokerRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  private decodedHeaders: Record<string, string> | undefined;

  constructor(private readonly message: KafkaMessage) {
    this.offset = Number(message.offset);
    this.key = message.key ? message.key.toString('utf8') : null;
    this.value = message.value;
    this.timestamp = Number(message.timestamp);
  }

  get headers(): Readonly<Record<string, string>> {
    return (this.decodedHeaders ??= decodeHeaders(this.message.headers));
  }
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return out;
}

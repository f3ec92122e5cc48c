import {
  Kafka,
  logLevel,
  type Batch,
  type Consumer,
  type IHeaders,
  type KafkaMessage,
} from 'kafkajs';
import { WireProducer } from './wire/wire-producer';
import type { KafkaSecurity } from './kafka-security';
import { kafkajsSecurityOptions } from './kafkajs-security';
import type { Logger } from '../../util/logger';
import { ConfigurationError } from '../../util/errors';
import { backoffMs } from '../../util/retry';
import type {
  Assignment,
  BrokerClient,
  BrokerConsumer,
  BrokerProducer,
  BrokerRecord,
  ConsumerHandlers,
} from './broker-client';
import { coPartitionedAssigner } from './co-partitioned-assigner';
import { heartbeating } from './heartbeating';
import { PendingSeeks } from './pending-seeks';
import { registerKafkajsCodecs } from './compression-codecs';

// kafkajs reads gzip itself, and snappy, lz4 and zstd through this global table from here on.
registerKafkajsCodecs();

/** How often the consumer heartbeats, ms (a sixth of the shortest session timeout allowed). */
const HEARTBEAT_INTERVAL_MS = 1_000;

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
  /** TLS and SASL of every connection, the consumer's and the producer's (default: plaintext). */
  readonly security?: KafkaSecurity;
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
      ...kafkajsSecurityOptions(options.security ?? {}),
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
      security: this.options.security,
    });
    await producer.connect();
    return producer;
  }

  async consumer(groupId: string): Promise<BrokerConsumer> {
    const maxWaitMs = this.options.maxWaitTimeMs ?? DEFAULT_KAFKA_MAX_WAIT_MS;
    const sessionTimeoutMs = this.options.sessionTimeoutMs ?? 10_000;
    // an idle consumer heartbeats once a fetch returns: a fetch must end well within the session
    if (maxWaitMs * 2 > sessionTimeoutMs) {
      throw new ConfigurationError(
        `the fetch wait (STREAM_GEN_KAFKA_MAX_WAIT_MS, ${maxWaitMs} ms) must be at most half the ` +
          `session timeout (STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS, ${sessionTimeoutMs} ms), or an idle member is expelled from its group`,
      );
    }
    const consumer = this.kafka.consumer({
      groupId,
      partitionAssigners: [coPartitionedAssigner],
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: maxWaitMs,
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
  private readonly seeks = new PendingSeeks();
  private stopped = false;
  /** Rejoins tried since the consumer last joined the group. */
  private rejoins = 0;
  private rejoinTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly logger: Logger,
  ) {}

  async run(topics: readonly string[], handlers: ConsumerHandlers): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.rejoins = 0;
      const assignment = payload.memberAssignment as Assignment;
      this.seeks.keepOnly(assignment);
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
   * A join that fails does not reject: kafkajs reports it as another crash, which lands
   * here again, so the attempts are counted across crashes (until the group is joined)
   * rather than looped over with `retrying`.
   */
  private rejoinLater(topics: readonly string[], handlers: ConsumerHandlers, error: Error): void {
    if (this.stopped) return;
    const delayMs = backoffMs(++this.rejoins, FIRST_REJOIN_DELAY_MS, LAST_REJOIN_DELAY_MS);
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
      eachBatch: ({ batch, heartbeat, isStale }) =>
        // the batch may wait long (a sink retrying): the member stays in its group meanwhile
        heartbeating(heartbeat, HEARTBEAT_INTERVAL_MS, this.logger, async () => {
          await this.assignments;
          if (!this.admit(batch, isStale())) return;
          const records: BrokerRecord[] = batch.messages.map((m) => new KafkajsRecord(m));
          await handlers.onBatch(batch.topic, batch.partition, records);
          await heartbeat();
        }),
    });
  }

  /** Whether a batch goes to the handler: not while a seek waits for a batch from its offset. */
  private admit(batch: Batch, stale: boolean): boolean {
    const { topic, partition } = batch;
    const admission = this.seeks.admit(topic, partition, fetchedOffsetOf(batch), stale);
    if (admission.action === 'seek') this.seekNow(topic, partition, admission.offset);
    if (admission.action !== 'deliver') return false;
    if (admission.warning) this.logger.warn(admission.warning);
    return true;
  }

  /**
   * The consumer's next fetch of the partition starts at `offset`, and no batch reaches
   * the handler until one fetched from there (see {@link PendingSeeks}).
   */
  seek(topic: string, partition: number, offset: number): void {
    this.seeks.sought(topic, partition, offset);
    this.seekNow(topic, partition, offset);
  }

  private seekNow(topic: string, partition: number, offset: number): void {
    try {
      this.consumer.seek({ topic, partition, offset: String(offset) });
    } catch {
      // kafkajs refuses seeks before it runs; the first batch of the partition asks again
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

/**
 * The offset a batch was fetched from (the partition's position then). kafkajs keeps it
 * on every batch without typing it; its first message may lie above it (compaction,
 * transaction markers), so that is no substitute.
 */
function fetchedOffsetOf(batch: Batch): number {
  return Number((batch as Batch & { readonly fetchedOffset: string }).fetchedOffset);
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

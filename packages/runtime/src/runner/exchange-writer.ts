import type { EmbeddedLog } from '../connectors/embedded-log';
import type { BrokerClient, OutgoingRecord } from '../connectors/kafka/broker-client';
import type { KeyedStageSpec } from '../job/job-spec';
import { HEADER_ID, type OutRecord } from '../records';
import type { ExchangeElement, ExchangeMarker } from '../task/exchange-envelope';
import { errorMessage } from '../util/error-message';
import { ConfigurationError, StreamGenError } from '../util/errors';
import type { Logger } from '../util/logger';
import { retrying, type RetriesExhausted } from '../util/retry';
import { stableHash } from '../util/stable-hash';

/** Where an exchange's records go: a Kafka topic, or a topic of the embedded log. */
export interface ExchangeTransport {
  readonly partitions: number;
  describe(): string;
  /** Resolves once every record is durable, each in its partition, in the order given. */
  send(records: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The upstream end of an exchange (see `task/epoch-gate.ts` for the protocol): an
 * upstream task's main output, keyed by the next stage's key, goes to the exchange
 * partition of that key, tagged with its epoch and attempt; after each checkpoint of
 * the task, a marker goes to every partition.
 */
export class ExchangeWriter {
  private readonly buffers = new Map<number, OutgoingRecord[]>();
  private attached: ExchangeTransport | undefined;

  constructor(
    private readonly stage: KeyedStageSpec,
    private readonly logger: Logger,
    /** How long a failing write is retried (the task waits) before the job fails. Default 10 min. */
    private readonly retryBudgetMs = 10 * 60_000,
  ) {
    if (!stage.key) {
      throw new Error(
        `keyed stage "${stage.id}" reads under the same key: it is fused, no exchange feeds it`,
      );
    }
    this.key = stage.key;
  }

  /** The stage's key, which picks each element's exchange partition. */
  private readonly key: (value: unknown) => string | number;

  /** Where records go: set before the upstream runs (its task count sizes an embedded exchange). */
  attach(transport: ExchangeTransport): void {
    this.attached = transport;
  }

  get transport(): ExchangeTransport {
    if (!this.attached) throw new Error(`the exchange to stage "${this.stage.id}" is not attached`);
    return this.attached;
  }

  /** Buffers one output of upstream task `upstream` until {@link flush}. */
  route(upstream: number, epoch: number, attempt: string, record: OutRecord): void {
    const key = keyOf(this.key, record.value);
    // An element without a key goes to partition 0, where the stage's task dead-letters
    // it with the reason (it computes the key again).
    const partition = key === undefined ? 0 : stableHash(key) % this.transport.partitions;
    const element: ExchangeElement = {
      x: 'e',
      u: upstream,
      e: epoch,
      a: attempt,
      id: record.headers[HEADER_ID],
      t: record.timestamp,
      v: record.encoded ?? JSON.stringify(record.value),
    };
    let buffer = this.buffers.get(upstream);
    if (!buffer) this.buffers.set(upstream, (buffer = []));
    buffer.push({
      partition,
      key: key ?? null,
      value: JSON.stringify(element),
      headers: {},
      timestamp: record.timestamp,
    });
  }

  /** Writes what upstream task `upstream` emitted since the last flush. */
  async flush(upstream: number): Promise<void> {
    const buffer = this.buffers.get(upstream);
    if (!buffer || buffer.length === 0) return;
    this.buffers.set(upstream, []);
    await this.send(buffer);
  }

  /** Drops what a task emitted and did not flush (the task was revoked or failed). */
  discard(upstream: number): void {
    this.buffers.delete(upstream);
  }

  /** Epoch `epoch` of attempt `attempt` of task `upstream` is committed: tells every partition. */
  async mark(
    upstream: number,
    epoch: number,
    attempt: string,
    watermark: number,
    ended: boolean,
  ): Promise<void> {
    const marker: ExchangeMarker = {
      x: 'm',
      u: upstream,
      e: epoch,
      a: attempt,
      w: watermark,
      ...(ended ? { end: true as const } : {}),
    };
    const value = JSON.stringify(marker);
    const now = Date.now();
    await this.send(
      Array.from({ length: this.transport.partitions }, (_, partition) => ({
        partition,
        key: null,
        value,
        headers: {},
        timestamp: now,
      })),
    );
  }

  /** Sends in order; while the broker is away, retried with backoff (the task waits). */
  private async send(records: readonly OutgoingRecord[]): Promise<void> {
    const transport = this.transport;
    try {
      await retrying(() => transport.send(records), {
        firstWaitMs: 250,
        maxWaitMs: 10_000,
        budgetMs: this.retryBudgetMs,
        final: (error) => (error as { retriable?: unknown } | null)?.retriable === false,
        onRetry: (error, attempt, waitMs) =>
          this.logger.warn(
            `writing ${records.length} record(s) to exchange ${transport.describe()} failed ` +
              `(attempt ${attempt}): ${errorMessage(error)}; retrying in ${waitMs} ms`,
          ),
      });
    } catch (error) {
      const { lastError, attempts } = error as RetriesExhausted;
      throw new StreamGenError(
        `writing to exchange ${transport.describe()} failed ${attempts} time(s): ${errorMessage(lastError)}`,
      );
    }
  }
}

function keyOf(selector: (value: unknown) => string | number, value: unknown): string | undefined {
  try {
    const key = selector(value);
    return typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))
      ? String(key)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An exchange over a topic of the embedded log, created with `partitions` partitions. */
export function embeddedExchange(
  log: EmbeddedLog,
  topic: string,
  partitions: number,
): ExchangeTransport {
  log.createTopic(topic, partitions);
  return {
    partitions,
    describe: () => `embedded topic "${topic}"`,
    async send(records) {
      log.append(topic, records);
    },
    async close() {},
  };
}

/** An exchange over a Kafka topic, which must exist (its partitions are the stage's tasks). */
export async function kafkaExchange(
  client: BrokerClient,
  job: string,
  topic: string,
): Promise<ExchangeTransport> {
  const partitions = await client.partitionCount(topic);
  if (partitions === 0) {
    throw new ConfigurationError(
      `job "${job}" has a keyed stage behind a repartition, so it needs the topic "${topic}": ` +
        'create it with as many partitions as tasks you want for that stage',
    );
  }
  const producer = await client.producer();
  return {
    partitions,
    describe: () => `topic "${topic}" (${partitions} partitions)`,
    send: (records) => producer.send(topic, records),
    close: () => producer.disconnect(),
  };
}

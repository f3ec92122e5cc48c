import type {
  Assignment,
  BrokerClient,
  BrokerConsumer,
  BrokerProducer,
  BrokerRecord,
} from '../connectors/kafka/broker-client';
import type { SourceSpec } from '../job/job-spec';
import { applySteps } from '../task/steps';
import { BEGINNING_OF_TIME } from '../time/time-bounds';
import { eventTimeOf } from '../task/event-time';
import { errorMessage } from '../util/error-message';
import type { Logger } from '../util/logger';
import { stableHash } from '../util/stable-hash';

/** What the repartition topic carries: an element, or the watermark of one upstream partition. */
export type Envelope =
  | { readonly s: string; readonly up: number; readonly off: number; readonly v: string }
  | { readonly s: string; readonly up: number; readonly mark: number; readonly idle: boolean };

export interface RekeyStageOptions {
  readonly client: BrokerClient;
  /** Topic -> source spec, for the sources that need re-keying. */
  readonly sources: ReadonlyMap<string, SourceSpec>;
  readonly repartitionTopic: string;
  readonly repartitionPartitions: number;
  readonly groupId: string;
  readonly logger: Logger;
  /** How often every upstream partition's watermark is re-sent (default 500 ms). */
  readonly markIntervalMs?: number;
}

interface Upstream {
  maxEventTime: number;
  lastActivity: number;
}

/**
 * Stage one of a re-keyed job: reads the source topics (in its own consumer group),
 * sends each record to the repartition partition of its key, and sends every
 * repartition partition the event-time progress of each upstream partition, so the
 * keyed tasks downstream can take the minimum. Records keep their upstream partition
 * and offset: the downstream task skips what its checkpoint already holds, so the
 * at-least-once writes here never apply anything twice. It keeps no state.
 */
export class RekeyStage {
  private consumer: BrokerConsumer | undefined;
  private producer: BrokerProducer | undefined;
  private readonly upstream = new Map<string, Upstream>();
  private assigned: Assignment = {};
  private ticker: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly options: RekeyStageOptions) {}

  async start(onError: (error: unknown) => void): Promise<void> {
    this.producer = await this.options.client.producer();
    this.consumer = await this.options.client.consumer(this.options.groupId);
    this.ticker = setInterval(() => {
      this.sending = this.sending.then(() => this.sendAllMarks()).catch(onError);
    }, this.options.markIntervalMs ?? 500);
    await this.consumer.run([...this.options.sources.keys()], {
      onAssignment: async (assignment) => {
        this.assigned = assignment;
      },
      onBatch: (topic, partition, records) => this.forward(topic, partition, records),
      onError,
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await this.sending.catch(() => undefined);
    await this.consumer?.stop();
    await this.producer?.disconnect();
  }

  private async forward(
    topic: string,
    partition: number,
    records: readonly BrokerRecord[],
  ): Promise<void> {
    const spec = this.options.sources.get(topic);
    if (!spec || !this.producer || records.length === 0) return;
    const up = this.upstreamOf(topic, partition);
    const out = records.map((record) => {
      const text = record.value === null ? 'null' : record.value.toString('utf8');
      const key = this.keyOf(spec, text, up);
      // A record whose key cannot be computed goes to partition 0, where the task
      // turns it into a dead letter with the reason.
      const target = key === undefined ? 0 : stableHash(key) % this.options.repartitionPartitions;
      const envelope: Envelope = { s: spec.name, up: partition, off: record.offset, v: text };
      return {
        partition: target,
        key: key ?? null,
        value: JSON.stringify(envelope),
        headers: {},
        timestamp: record.timestamp,
      };
    });
    up.lastActivity = Date.now();
    await this.producer.send(this.options.repartitionTopic, out);
    await this.sendMarks(spec.name, partition, up);
    await this.consumer
      ?.commit(topic, partition, records[records.length - 1].offset + 1)
      .catch((error: unknown) => {
        this.options.logger.debug(`re-key offset commit skipped: ${errorMessage(error)}`);
      });
  }

  private keyOf(spec: SourceSpec, text: string, up: Upstream): string | undefined {
    try {
      const [value] = applySteps(spec.steps ?? [], JSON.parse(text));
      if (value === undefined || !spec.key) return undefined;
      // a time the task would refuse (not a number, far in the future) moves no mark
      const ts = spec.eventTime ? eventTimeOf(spec.eventTime, value, Date.now()) : undefined;
      if (typeof ts === 'number') up.maxEventTime = Math.max(up.maxEventTime, ts);
      const key = spec.key(value);
      return typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;
    } catch {
      return undefined;
    }
  }

  private upstreamOf(topic: string, partition: number): Upstream {
    const id = `${topic}\u0000${partition}`;
    let up = this.upstream.get(id);
    if (!up)
      this.upstream.set(id, (up = { maxEventTime: BEGINNING_OF_TIME, lastActivity: Date.now() }));
    return up;
  }

  private async sendMarks(source: string, partition: number, up: Upstream): Promise<void> {
    const spec = [...this.options.sources.values()].find((s) => s.name === source);
    const idleAfter = spec?.eventTime?.idleTimeoutMs;
    const idle = idleAfter !== undefined && Date.now() - up.lastActivity >= idleAfter;
    const mark: Envelope = { s: source, up: partition, mark: up.maxEventTime, idle };
    const value = JSON.stringify(mark);
    await this.producer?.send(
      this.options.repartitionTopic,
      Array.from({ length: this.options.repartitionPartitions }, (_, p) => ({
        partition: p,
        key: null,
        value,
        headers: {},
        timestamp: Date.now(),
      })),
    );
  }

  private async sendAllMarks(): Promise<void> {
    for (const [topic, partitions] of Object.entries(this.assigned)) {
      const spec = this.options.sources.get(topic);
      if (!spec) continue;
      for (const partition of partitions)
        await this.sendMarks(spec.name, partition, this.upstreamOf(topic, partition));
    }
  }
}

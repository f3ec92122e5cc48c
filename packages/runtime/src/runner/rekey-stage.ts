import type {
  Assignment,
  BrokerClient,
  BrokerConsumer,
  BrokerProducer,
  BrokerRecord,
} from '../connectors/kafka/broker-client';
import type { SourceSpec } from '../job/job-spec';
import type { Clock } from '../time/clock';
import { BEGINNING_OF_TIME } from '../time/time-bounds';
import { errorMessage } from '../util/error-message';
import type { Logger } from '../util/logger';
import { routeRecord } from './rekey-route';

/**
 * What the repartition topic carries: a record (`ix`: the indexes of its values the
 * receiving task keys, when its values went to several partitions), or the watermark
 * of one upstream partition.
 */
export type Envelope =
  | {
      readonly s: string;
      readonly up: number;
      readonly off: number;
      readonly v: string;
      readonly ix?: readonly number[];
    }
  | { readonly s: string; readonly up: number; readonly mark: number; readonly idle: boolean };

export interface RekeyStageOptions {
  readonly client: BrokerClient;
  /** Topic -> source spec, for the sources that need re-keying. */
  readonly sources: ReadonlyMap<string, SourceSpec>;
  readonly repartitionTopic: string;
  readonly repartitionPartitions: number;
  readonly groupId: string;
  readonly logger: Logger;
  /** The tasks' clock: idleness, mark times and the check of event times from the future. */
  readonly clock: Clock;
  /** Retries of a step that throws (the job's error policy), as the task makes them. */
  readonly retries: number;
  /** How often every upstream partition's watermark is re-sent (default 500 ms). */
  readonly markIntervalMs?: number;
}

interface Upstream {
  maxEventTime: number;
  lastActivity: number;
}

/**
 * Stage one of a re-keyed job: reads the source topics (in its own consumer group),
 * sends each record to the repartition partition of its key (each value a flatMap
 * gives to the partition of its own key, see {@link routeRecord}), and sends every
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
    const { clock, retries, repartitionPartitions: partitions } = this.options;
    const out = records.flatMap((record) => {
      const text = record.value === null ? 'null' : record.value.toString('utf8');
      const routed = routeRecord(spec, text, { partitions, retries, now: clock.now() });
      if (routed.maxEventTime !== undefined)
        up.maxEventTime = Math.max(up.maxEventTime, routed.maxEventTime);
      return routed.routes.map((route) => {
        const envelope: Envelope = {
          s: spec.name,
          up: partition,
          off: record.offset,
          v: text,
          ...(route.values && { ix: route.values }),
        };
        return {
          partition: route.partition,
          key: route.key,
          value: JSON.stringify(envelope),
          headers: {},
          timestamp: record.timestamp,
        };
      });
    });
    up.lastActivity = clock.now();
    await this.producer.send(this.options.repartitionTopic, out);
    await this.sendMarks(spec.name, partition, up);
    await this.consumer
      ?.commit(topic, partition, records[records.length - 1].offset + 1)
      .catch((error: unknown) => {
        this.options.logger.debug(`re-key offset commit skipped: ${errorMessage(error)}`);
      });
  }

  private upstreamOf(topic: string, partition: number): Upstream {
    const id = `${topic}\u0000${partition}`;
    let up = this.upstream.get(id);
    if (!up)
      this.upstream.set(
        id,
        (up = { maxEventTime: BEGINNING_OF_TIME, lastActivity: this.options.clock.now() }),
      );
    return up;
  }

  private async sendMarks(source: string, partition: number, up: Upstream): Promise<void> {
    const spec = [...this.options.sources.values()].find((s) => s.name === source);
    const idleAfter = spec?.eventTime?.idleTimeoutMs;
    const now = this.options.clock.now();
    const idle = idleAfter !== undefined && now - up.lastActivity >= idleAfter;
    const mark: Envelope = { s: source, up: partition, mark: up.maxEventTime, idle };
    const value = JSON.stringify(mark);
    await this.producer?.send(
      this.options.repartitionTopic,
      Array.from({ length: this.options.repartitionPartitions }, (_, p) => ({
        partition: p,
        key: null,
        value,
        headers: {},
        timestamp: now,
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

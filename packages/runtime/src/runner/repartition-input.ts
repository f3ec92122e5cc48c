import type { BrokerRecord } from '../connectors/kafka/broker-client';
import type { SourceSpec } from '../job/job-spec';
import type { InputElement, StreamTask } from '../task/stream-task';
import { BEGINNING_OF_TIME } from '../time/time-bounds';
import type { Logger } from '../util/logger';
import type { Envelope } from './rekey-stage';

/** What a task's repartition input needs to know of the re-keyed sources. */
export interface RepartitionSources {
  readonly topic: string;
  /** The re-keyed sources by name. */
  readonly specs: ReadonlyMap<string, SourceSpec>;
  /** Partition count of each re-keyed source's topic (filled before any batch). */
  readonly upstreamPartitions: ReadonlyMap<string, number>;
  readonly logger: Logger;
}

/**
 * The downstream end of the repartition topic, for one task: what the re-keying stage
 * sent (see {@link RekeyStage}) becomes the task's input, and the event-time marks of
 * the upstream partitions become the re-keyed sources' watermarks.
 */
export class RepartitionInput {
  /** Latest event-time progress per re-keyed source and upstream partition. */
  private readonly marks = new Map<string, Map<number, { maxEventTime: number; idle: boolean }>>();

  constructor(
    private readonly sources: RepartitionSources,
    private readonly partition: number,
  ) {}

  /**
   * A batch of the repartition topic: elements of several upstream partitions, and
   * their event-time marks. An element at or below the upstream offset the task's
   * checkpoint holds is a resend from stage one and is skipped.
   */
  async apply(task: StreamTask, records: readonly BrokerRecord[]): Promise<void> {
    const { topic } = this.sources;
    const from = task.positions[topic] ?? 0;
    const next = new Map<string, number>();
    const groups: Array<{ source: string; key: string; up: number; elements: InputElement[] }> = [];
    for (const record of records) {
      if (record.offset < from) continue;
      const envelope = parseEnvelope(record);
      if (!envelope) {
        this.sources.logger.warn(
          `${topic}/${this.partition} offset ${record.offset} is not a stream-gen envelope; skipped`,
        );
        continue;
      }
      if ('mark' in envelope) {
        if (!this.marks.has(envelope.s)) this.marks.set(envelope.s, new Map());
        this.marks
          .get(envelope.s)
          ?.set(envelope.up, { maxEventTime: envelope.mark, idle: envelope.idle });
        continue;
      }
      const key = `${envelope.s}@${envelope.up}`;
      const expected = next.get(key) ?? task.positions[key] ?? 0;
      if (envelope.off < expected) continue;
      next.set(key, envelope.off + 1);
      const last = groups[groups.length - 1];
      const element: InputElement = {
        offset: envelope.off,
        encoded: envelope.v,
        // the values of the record this task keys, when they went to several partitions
        valueIndexes: Array.isArray(envelope.ix) ? envelope.ix : undefined,
      };
      if (last && last.key === key) last.elements.push(element);
      else groups.push({ source: envelope.s, key, up: envelope.up, elements: [element] });
    }
    for (const group of groups)
      await task.processBatch(group.source, group.elements, group.key, group.up);
    if (records.length > 0) task.positions[topic] = records[records.length - 1].offset + 1;
    for (const [source, spec] of this.sources.specs) {
      const watermark = this.upstreamWatermark(source, spec);
      if (watermark !== undefined) await task.advanceInputWatermark(source, watermark);
    }
  }

  /** Min over the upstream partitions that are not idle; undefined while all are idle. */
  private upstreamWatermark(source: string, spec: SourceSpec): number | undefined {
    const marks = this.marks.get(source);
    const bound = spec.eventTime?.maxOutOfOrdernessMs ?? 0;
    let min = Number.POSITIVE_INFINITY;
    for (let up = 0; up < (this.sources.upstreamPartitions.get(source) ?? 0); up++) {
      const mark = marks?.get(up);
      if (!mark) return BEGINNING_OF_TIME;
      if (!mark.idle) min = Math.min(min, mark.maxEventTime - bound);
    }
    return Number.isFinite(min) ? Math.max(BEGINNING_OF_TIME, min) : undefined;
  }
}

function parseEnvelope(record: BrokerRecord): Envelope | undefined {
  try {
    const value = JSON.parse(record.value?.toString('utf8') ?? '') as Envelope;
    return typeof value?.s === 'string' && typeof value.up === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

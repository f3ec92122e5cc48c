import { decodeWithin } from '../connectors/json-codec';
import { DEFAULT_MAX_RECORD_BYTES, type SourceSpec } from '../job/job-spec';
import type { WatermarkTracker } from '../time/watermark-tracker';
import { stableHash } from '../util/stable-hash';
import type { CallFailure } from './call-failure';
import { eventTimeOf } from './event-time';
import type { DecodedElement, EncodedElement, InputElement } from './input-element';
import type { JobMetrics } from './metrics';
import { recordValues, selectKey } from './record-values';
import type { SourcePlan } from './source-plan';

/** An element ready for the operator: valid, stepped, timed and keyed, not late. */
export interface ReadyElement {
  readonly value: unknown;
  readonly timestamp: number;
  readonly key: string;
  readonly offset: number;
  readonly input: number;
  /** Where output ids of this element start: `<source>@<offset>.<value index>`. */
  readonly origin: string;
}

/** Where the ingest sends what does not become a ready element. */
export interface IngestTarget {
  deadLetter(origin: string, source: string, offset: number, reason: string, value: unknown): void;
  /** A late element: to the `late` side output; `where` names it for a dead letter if that fails. */
  late(
    origin: string,
    key: string | null,
    timestamp: number,
    value: unknown,
    where: () => { source: string; offset: number; record: unknown },
  ): void;
  /** A value of a stream the job copies to a sink; `where` names it for a dead letter if that fails. */
  copy(
    stream: string,
    origin: string,
    value: unknown,
    where: () => { source: string; offset: number; record: unknown },
  ): void;
  /** A step threw on every attempt. */
  failed(
    failure: CallFailure,
    origin: string,
    record: { source: string; offset: number; value: unknown },
  ): void;
}

export interface IngestOptions {
  readonly watermarks: WatermarkTracker;
  readonly metrics: JobMetrics;
  /** Retries of a step that throws (the error policy's). */
  readonly retries: number;
  /** Sources whose watermark comes from elsewhere (a repartition, an exchange): not observed here. */
  readonly external: ReadonlySet<string>;
  /**
   * The operator judges lateness itself: a window, which still takes an element behind
   * the watermark into a window within its allowed lateness (or, in processing time,
   * takes every element).
   */
  readonly lateToOperator?: boolean;
  /** Sources read whole, and the task count the key hash picks from (see `StreamTaskOptions.rekeyed`). */
  readonly rekeyed?: { readonly tasks: number; readonly sources: Readonly<Record<string, number>> };
  readonly ownPartition: number;
  readonly checkFutureEventTimes?: boolean;
}

/**
 * The way in of a task: turns the records of one input batch into elements ready for
 * the operator (size, decoding, validation, the source's steps and its chain stages',
 * event time, key, lateness), sending what cannot become one to the dead letters or the
 * `late` side output, each named after where it came from.
 */
export class ElementIngest {
  /** Per source: its steps and the tree of stages after it (absent: read as it is). */
  plans = new Map<string, SourcePlan>();

  constructor(
    private readonly options: IngestOptions,
    private readonly target: IngestTarget,
    /** The partition the batch being read came from, when it is not the task's own. */
    private readonly upstream: () => number | undefined,
  ) {}

  /**
   * For a source a stage of which wants whole batches (`beforeBatch`): decodes the
   * batch's elements once, gives the stages their valid values, and returns the
   * elements decoded, for {@link prepare} to take one by one.
   */
  async beforeBatch(
    spec: SourceSpec,
    elements: readonly InputElement[],
  ): Promise<readonly InputElement[]> {
    const plan = this.plans.get(spec.name);
    if (!plan?.wantsBatches) return elements;
    const max = spec.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    const decoded = elements.map((e) =>
      'encoded' in e && e.valueIndexes ? e : decodeWithin(e, max),
    );
    const valid = decoded.flatMap((e) =>
      'value' in e &&
      e.error === undefined &&
      e.value !== null &&
      spec.validate?.(e.value) === undefined
        ? [e.value]
        : [],
    );
    await plan.beforeBatch(valid);
    return decoded;
  }

  /** Size, decoding, validation, steps, event time, key and lateness of one element. */
  prepare(
    spec: SourceSpec,
    input: number | undefined,
    element: InputElement,
    now: number,
    ready: ReadyElement[],
  ): void {
    const outcome = recordValues(spec, this.plans.get(spec.name), element, this.options.retries);
    const { offset, value } = outcome;
    // (one read per field, whichever kind of element: the fields the other kind lacks read undefined)
    const fields = element as Partial<DecodedElement> & Partial<EncodedElement>;
    const up = this.upstream();
    const base =
      fields.origin !== undefined
        ? fields.origin
        : up === undefined
          ? `${spec.name}@${offset}`
          : `${spec.name}:${up}@${offset}`;
    const carried = fields.timestamp;
    // a record split over several tasks by the re-keying stage: this task's share of it;
    // what is written once per record (dead letters, copies) is written by the task
    // holding its first value
    const share = fields.valueIndexes;
    const others = this.readsForOthers(spec.name);
    const once = !others && (!share || share.includes(0));
    if (!('values' in outcome)) {
      // (a branch the re-keying stage does not run may throw where it did not)
      if (!once) return;
      if ('rejected' in outcome) {
        // another job reading the topic writes its dead letter
        if (spec.deadLetterRejected === false) return;
        return this.target.deadLetter(base, spec.name, offset, outcome.rejected, value);
      }
      return this.target.failed(outcome.failed, base, { source: spec.name, offset, value });
    }
    const { values, copies, failures } = outcome;
    if (once) {
      // a branch of a fork that failed: its stream's dead letter, named after it
      for (const { stream, failure } of failures) {
        this.target.failed(failure, `${base}>${stream}`, { source: spec.name, offset, value });
      }
      for (const copy of copies) {
        this.target.copy(copy.stream, `${base}>${copy.stream}.${copy.index}`, copy.value, () => ({
          source: spec.name,
          offset,
          record: value,
        }));
      }
    }
    const count = share === undefined ? values.length : share.length;
    for (let j = 0; j < count; j++) {
      const i = share === undefined ? j : share[j];
      if (i >= values.length) continue;
      const origin = `${base}.${i}`;
      this.prepareValue(spec, input, values[i], origin, offset, value, now, ready, carried, others);
    }
  }

  /** Event time, key and lateness of one value a record became (`record`: for dead letters). */
  private prepareValue(
    spec: SourceSpec,
    input: number | undefined,
    value: unknown,
    origin: string,
    offset: number,
    record: unknown,
    now: number,
    ready: ReadyElement[],
    /** The event time an exchange element carries. */
    carried: number | undefined,
    /** The task reads this partition for the tasks owning its keys (see {@link readsForOthers}). */
    others: boolean,
  ): void {
    let timestamp = now;
    let key = '';
    if (carried !== undefined) {
      timestamp = carried;
    } else if (spec.eventTime) {
      const time = eventTimeOf(spec.eventTime, value, this.futureCheckedAgainst(now));
      if (typeof time === 'string')
        return others ? undefined : this.target.deadLetter(origin, spec.name, offset, time, record);
      timestamp = time;
    }
    const rekeyed = this.options.rekeyed;
    if (input !== undefined && spec.key) {
      const selected = selectKey(spec.key, value);
      if (typeof selected !== 'string') {
        return others
          ? undefined
          : this.target.deadLetter(origin, spec.name, offset, selected.reason, record);
      }
      key = selected;
      // another task's key: that task reads this partition too, and keeps it; its event
      // time still moves this task's watermark of the partition, as on Kafka, where the
      // re-keying stage sends every task the partition's greatest event time
      if (rekeyed?.sources[spec.name] !== undefined && !this.ownsKey(key, rekeyed.tasks)) {
        if (spec.eventTime && !this.options.external.has(spec.name))
          this.options.watermarks.observe(this.channelOf(spec.name), timestamp, now);
        return;
      }
    }
    if (spec.eventTime) {
      const watermarks = this.options.watermarks;
      if (!this.options.lateToOperator && watermarks.isLate(timestamp)) {
        this.options.metrics.late++;
        this.target.late(origin, key || null, timestamp, value, () => ({
          source: spec.name,
          offset,
          record,
        }));
        return;
      }
      if (!this.options.external.has(spec.name)) {
        watermarks.observe(
          rekeyed === undefined ? spec.name : this.channelOf(spec.name),
          timestamp,
          now,
        );
      }
    }
    ready.push({ value, timestamp, key, offset, input: input ?? -1, origin });
  }

  /** The watermark input of a source: per upstream partition when the task reads it whole. */
  channelOf(source: string): string {
    const whole = this.options.rekeyed?.sources[source] !== undefined;
    return whole ? `${source}@${this.upstream() ?? 0}` : source;
  }

  /**
   * True while the task reads a partition of a source it reads whole that is not its
   * own: what cannot be keyed there is dead-lettered by the partition's own task.
   */
  readsForOthers(source: string): boolean {
    const rekeyed = this.options.rekeyed;
    return (
      rekeyed !== undefined &&
      rekeyed.sources[source] !== undefined &&
      this.upstream() !== this.ownPartition
    );
  }

  private ownsKey(key: string, tasks: number): boolean {
    return stableHash(key) % tasks === this.ownPartition;
  }

  private get ownPartition(): number {
    return this.options.ownPartition;
  }

  private futureCheckedAgainst(now: number): number | undefined {
    return this.options.checkFutureEventTimes === false ? undefined : now;
  }
}

import type { RawRecord } from '../records';
import type { TaskCheckpoint } from '../state/checkpoint';
import { errorMessage } from '../util/error-message';
import type { Logger } from '../util/logger';
import { EpochGate } from './epoch-gate';
import { readEnvelope, type ExchangeEnvelope } from './exchange-envelope';
import type { DecodedElement } from './input-element';

/** Elements one marker released: decoded, named after their upstream output id. */
export interface ReleasedBatch {
  readonly upstream: number;
  readonly elements: readonly DecodedElement[];
}

/** What a task's checkpoint saves of its exchange input. */
export type ExchangeCheckpoint = Pick<TaskCheckpoint, 'exchange' | 'exchangeSource' | 'voidEpochs'>;

/** Takes a record of the exchange that is no exchange record: to the dead letters. */
export type RejectExchangeRecord = (offset: number, reason: string, value: unknown) => void;

/**
 * The input of a task behind a repartition: reads exchange records, keeps them in its
 * {@link EpochGate} until their upstream epoch is committed, and hands back what a
 * marker released. Tracks how far it read, so records a consumer hands out again in
 * this run are not buffered twice. A record that is not an exchange record (written
 * by something else than the stage before) goes to `reject`, with the reason.
 */
export class ExchangeInput {
  private readonly gate: EpochGate;
  private read = 0;

  constructor(
    readonly source: string,
    upstreamTasks: number,
    /** `<job>/`: stripped from upstream ids, which downstream origins are built from. */
    private readonly jobPrefix: string,
    private readonly logger: Logger,
    private readonly reject: RejectExchangeRecord,
  ) {
    this.gate = new EpochGate(upstreamTasks);
  }

  /** Takes a batch of exchange records; returns the released elements, in order. */
  accept(partition: string, records: readonly RawRecord[]): ReleasedBatch[] {
    const out: ReleasedBatch[] = [];
    const voided = this.gate.voided;
    for (const record of records) {
      if (record.offset < this.read) continue;
      this.read = record.offset + 1;
      const envelope = this.envelopeOf(partition, record);
      if (!envelope) continue;
      if (envelope.x === 'e') {
        this.gate.element(record.offset, envelope);
        continue;
      }
      const released = this.gate.marker(envelope);
      if (released?.dropped) {
        this.logger.info(
          `exchange "${this.source}" partition ${partition}: dropped ${released.dropped} element(s) of upstream task ` +
            `${envelope.u} that an attempt sent for epoch ${envelope.e} or before without committing it`,
        );
      }
      if (!released || released.elements.length === 0) continue;
      out.push({
        upstream: released.upstream,
        elements: released.elements.map(({ offset, element }) => {
          const origin = element.id.startsWith(this.jobPrefix)
            ? element.id.slice(this.jobPrefix.length)
            : element.id;
          try {
            return { offset, origin, timestamp: element.t, value: JSON.parse(element.v) };
          } catch (error) {
            return {
              offset,
              origin,
              timestamp: element.t,
              value: element.v,
              error: `not valid JSON: ${errorMessage(error)}`,
            };
          }
        }),
      });
    }
    if (this.gate.voided > voided) {
      this.logger.info(
        `exchange "${this.source}" partition ${partition}: dropped ${this.gate.voided - voided} ` +
          'record(s) of upstream epochs a rewind discarded',
      );
    }
    return out;
  }

  get watermark(): number {
    return this.gate.watermark;
  }

  get ended(): boolean {
    return this.gate.ended;
  }

  get dropped(): number {
    return this.gate.dropped;
  }

  /** Records dropped because a rewind discarded their upstream epoch. */
  get voided(): number {
    return this.gate.voided;
  }

  /** The position a checkpoint saves: the earliest element still buffered. */
  get position(): number {
    return this.gate.safeOffset(this.read);
  }

  /** The gate's applied epochs and void ranges, and which source this is. */
  checkpointFields(): ExchangeCheckpoint {
    const voids = this.gate.voidSnapshot();
    return {
      exchange: this.gate.snapshot(),
      exchangeSource: this.source,
      ...(voids ? { voidEpochs: voids } : {}),
    };
  }

  restore(position: number, checkpoint: TaskCheckpoint): void {
    this.read = position;
    this.gate.restore(checkpoint.exchange, checkpoint.voidEpochs);
  }

  /** The record's envelope; a record that holds none is rejected (and logged). */
  private envelopeOf(partition: string, record: RawRecord): ExchangeEnvelope | undefined {
    const text = typeof record.value === 'string' ? record.value : record.value?.toString('utf8');
    const read =
      text === undefined ? 'record value is null (a Kafka tombstone)' : readEnvelope(text);
    if (typeof read !== 'string') return read;
    this.logger.warn(
      `exchange "${this.source}" partition ${partition} offset ${record.offset} is not a stream-gen ` +
        `exchange record (${read}); sent to the dead letters`,
    );
    this.reject(record.offset, `not a stream-gen exchange record: ${read}`, decoded(text));
    return undefined;
  }
}

/** A rejected record's value as a dead letter holds it: its JSON, else its text. */
function decoded(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

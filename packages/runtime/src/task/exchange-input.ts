import type { RawRecord } from '../records';
import type { GateSnapshot } from '../state/checkpoint';
import { errorMessage } from '../util/error-message';
import type { Logger } from '../util/logger';
import { EpochGate } from './epoch-gate';
import { parseEnvelope } from './exchange-envelope';
import type { DecodedElement } from './input-element';

/** Elements one marker released: decoded, named after their upstream output id. */
export interface ReleasedBatch {
  readonly upstream: number;
  readonly elements: readonly DecodedElement[];
}

/**
 * The input of a task behind a repartition: reads exchange records, keeps them in its
 * {@link EpochGate} until their upstream epoch is committed, and hands back what a
 * marker released. Tracks how far it read, so records a consumer hands out again in
 * this run are not buffered twice.
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
  ) {
    this.gate = new EpochGate(upstreamTasks);
  }

  /** Takes a batch of exchange records; returns the released elements, in order. */
  accept(partition: string, records: readonly RawRecord[]): ReleasedBatch[] {
    const out: ReleasedBatch[] = [];
    for (const record of records) {
      if (record.offset < this.read) continue;
      this.read = record.offset + 1;
      const text = typeof record.value === 'string' ? record.value : record.value?.toString('utf8');
      const envelope = text === undefined ? undefined : parseEnvelope(text);
      if (!envelope) {
        this.logger.warn(
          `exchange "${this.source}" partition ${partition} offset ${record.offset} is not a stream-gen exchange record; skipped`,
        );
        continue;
      }
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

  /** The position a checkpoint saves: the earliest element still buffered. */
  get position(): number {
    return this.gate.safeOffset(this.read);
  }

  snapshot(): GateSnapshot {
    return this.gate.snapshot();
  }

  restore(position: number, snapshot: GateSnapshot | undefined): void {
    this.read = position;
    this.gate.restore(snapshot);
  }
}

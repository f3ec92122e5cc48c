/**
 * What an exchange (a repartition between two keyed stages) carries, as JSON: the
 * elements an upstream task emitted, tagged with the epoch they belong to (the id of
 * the upstream checkpoint that will cover them) and the upstream attempt (one per
 * opening of the task), and the markers that say an epoch was committed.
 */
export type ExchangeEnvelope = ExchangeElement | ExchangeMarker;

export interface ExchangeElement {
  readonly x: 'e';
  /** Upstream task (its partition). */
  readonly u: number;
  /** Epoch: the upstream checkpoint id that covers the input this came from. */
  readonly e: number;
  /** Upstream attempt that emitted it. */
  readonly a: string;
  /** The upstream output id: the origin of the element's own outputs downstream. */
  readonly id: string;
  /** Event time. */
  readonly t: number;
  /** The value, JSON. */
  readonly v: string;
}

export interface ExchangeMarker {
  readonly x: 'm';
  readonly u: number;
  /** Epoch `e` of attempt `a` is committed upstream. */
  readonly e: number;
  readonly a: string;
  /** The upstream task's watermark as of that checkpoint. */
  readonly w: number;
  /** The upstream task's inputs ended: nothing follows. */
  readonly end?: true;
}

/** The envelope in a record value, or undefined when it is none. */
export function parseEnvelope(text: string): ExchangeEnvelope | undefined {
  try {
    const value = JSON.parse(text) as ExchangeEnvelope;
    if (value === null || typeof value !== 'object') return undefined;
    const tagged = typeof value.u === 'number' && typeof value.e === 'number';
    if (!tagged || typeof value.a !== 'string') return undefined;
    if (value.x === 'e' && typeof value.v === 'string' && typeof value.id === 'string')
      return value;
    if (value.x === 'm' && typeof value.w === 'number') return value;
    return undefined;
  } catch {
    return undefined;
  }
}

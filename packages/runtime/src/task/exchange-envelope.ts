import { errorMessage } from '../util/error-message';

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
  const read = readEnvelope(text);
  return typeof read === 'string' ? undefined : read;
}

/** The envelope in a record value, or why it is none (for its dead letter). */
export function readEnvelope(text: string): ExchangeEnvelope | string {
  let value: ExchangeEnvelope;
  try {
    value = JSON.parse(text) as ExchangeEnvelope;
  } catch (error) {
    return `not valid JSON: ${errorMessage(error)}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `JSON ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}, not an envelope object`;
  }
  const tagged = typeof value.u === 'number' && typeof value.e === 'number';
  if (!tagged || typeof value.a !== 'string') {
    return 'no upstream task (u), epoch (e) and attempt (a)';
  }
  if (value.x === 'e') {
    return typeof value.v === 'string' && typeof value.id === 'string'
      ? value
      : 'an element (x "e") without its value (v) and output id (id)';
  }
  if (value.x === 'm') {
    return typeof value.w === 'number' ? value : 'a marker (x "m") without its watermark (w)';
  }
  return `kind (x) ${JSON.stringify((value as { x?: unknown }).x)} is neither "e" (element) nor "m" (marker)`;
}

import type { OutRecord, RawRecord } from '../records';
import { errorMessage } from '../util/error-message';
import type { DecodedElement, InputElement } from '../task/input-element';

/**
 * A connector record as a task input. The JSON is parsed later, by the task, with
 * {@link decodeWithin} and the source's size limit: a record over it is never parsed.
 */
export function decodeJson(record: RawRecord): InputElement {
  return { offset: record.offset, encoded: record.value };
}

/** How much of an oversize record its dead letter keeps. */
const OVERSIZE_PREVIEW_CHARS = 1024;

/**
 * Decodes an element's JSON unless its value is larger than `maxBytes`. A null value
 * (a Kafka tombstone) decodes to null; the task rejects it with the other null values.
 */
export function decodeWithin(element: InputElement, maxBytes: number): DecodedElement {
  if (!('encoded' in element)) return element;
  const { offset, encoded } = element;
  if (encoded === null || encoded === undefined) return { offset, value: null };
  const bytes = sizeOver(encoded, maxBytes);
  if (bytes !== undefined) {
    return {
      offset,
      value: `${encoded.slice(0, OVERSIZE_PREVIEW_CHARS).toString()}…`,
      error: `record is ${bytes} bytes, over the limit of ${maxBytes} (maxRecordBytes); not decoded`,
    };
  }
  const text = typeof encoded === 'string' ? encoded : encoded.toString('utf8');
  try {
    return { offset, value: JSON.parse(text) };
  } catch (error) {
    return { offset, value: text, error: `not valid JSON: ${errorMessage(error)}` };
  }
}

/** The size in bytes (UTF-8) when it is over `maxBytes`; undefined when within. */
function sizeOver(encoded: string | Buffer, maxBytes: number): number | undefined {
  // A UTF-16 code unit takes 1 to 3 bytes in UTF-8: most strings need no counting.
  if (typeof encoded === 'string' && encoded.length * 3 <= maxBytes) return undefined;
  const bytes = typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.length;
  return bytes > maxBytes ? bytes : undefined;
}

export function encodeJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`cannot encode ${String(value)} as JSON`);
  return text;
}

/** An output record as a log stores it: the value as JSON text, key, headers and time kept. */
export function toWire(record: OutRecord): {
  key: string | null;
  value: string;
  headers: Readonly<Record<string, string>>;
  timestamp: number;
} {
  return {
    key: record.key,
    value: record.encoded ?? encodeJson(record.value),
    headers: record.headers,
    timestamp: record.timestamp,
  };
}

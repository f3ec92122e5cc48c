import type { OutRecord, RawRecord } from '../records';
import { errorMessage } from '../util/error-message';
import type { InputElement } from '../task/stream-task';

/** Decodes a record holding JSON; a record that is not JSON becomes an element with an error. */
export function decodeJson(record: RawRecord): InputElement {
  const raw = record.value;
  if (raw === null || raw === undefined) {
    return { offset: record.offset, value: null, error: 'record has no value (null payload)' };
  }
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  try {
    return { offset: record.offset, value: JSON.parse(text) };
  } catch (error) {
    return { offset: record.offset, value: text, error: `not valid JSON: ${errorMessage(error)}` };
  }
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

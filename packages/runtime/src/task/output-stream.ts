import type { OutRecord } from '../records';

/** Which output of the job a record belongs to. */
export type OutputStream =
  | { readonly kind: 'main' }
  /** `stage`: the fused keyed stage that emitted it (routed by its own `sideOutputs`). */
  | { readonly kind: 'side'; readonly tag: string; readonly stage?: string }
  | { readonly kind: 'dead-letter' }
  /** A copy of a stream of the job (`outputs.streams`), written to its sink. */
  | { readonly kind: 'stream'; readonly name: string };

export interface Emission {
  readonly stream: OutputStream;
  readonly record: OutRecord;
}

export const MAIN_STREAM: OutputStream = { kind: 'main' };
export const DEAD_LETTER_STREAM: OutputStream = { kind: 'dead-letter' };

export function describeStream(stream: OutputStream): string {
  switch (stream.kind) {
    case 'side':
      return stream.stage === undefined
        ? `side output "${stream.tag}"`
        : `side output "${stream.tag}" of keyed stage "${stream.stage}"`;
    case 'main':
      return 'main output';
    case 'stream':
      return `copy of stream "${stream.name}"`;
    default:
      return 'dead letters';
  }
}

/** The value of a dead-letter record: the reason and where the input came from. */
export interface DeadLetter {
  readonly reason: string;
  readonly source: string;
  /** The source partition the record was read from (the headers carry it as a string). */
  readonly partition: number;
  readonly offset: number;
  /** The record as decoded (or its raw text when it could not be decoded). */
  readonly value: unknown;
}

/** A record as a connector reads it, before decoding. */
export interface RawRecord {
  /** Position of the record in its partition; the task resumes at `offset + 1`. */
  readonly offset: number;
  readonly key?: string | null;
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Broker or producer timestamp (epoch ms), when the connector knows one. */
  readonly timestamp?: number;
}

/** A record on its way to a sink. */
export interface OutRecord {
  readonly key: string | null;
  readonly value: unknown;
  /** The value as JSON, when the task already encoded it. */
  readonly encoded?: string;
  /** Always carries `stream-gen-id`, the stable id consumers deduplicate on. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

/** Header names that stream-gen writes on every output record. */
export const HEADER_ID = 'stream-gen-id';
export const HEADER_REASON = 'stream-gen-dead-letter-reason';
export const HEADER_SOURCE = 'stream-gen-source';
export const HEADER_PARTITION = 'stream-gen-partition';
export const HEADER_OFFSET = 'stream-gen-offset';

/**
 * Headers an output value carries to its record (a symbol key: JSON never sees it). A
 * route's script tags what it outputs with its version this way.
 */
export const OUTPUT_HEADERS = Symbol.for('stream-gen.output-headers');

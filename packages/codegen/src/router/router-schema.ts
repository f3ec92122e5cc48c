import type { SinkKind } from './router-model';

/** `brokers`: host:port strings, as a list or one string with commas (read as that string). */
export type SettingType = 'string' | 'number' | 'boolean' | 'brokers';

export interface SinkSchema {
  /** Settings a sink of the kind must have. */
  readonly required: Readonly<Record<string, SettingType>>;
  readonly optional: Readonly<Record<string, SettingType>>;
  /** Settings of which exactly one must be given (a redis sink writes a stream or a hash). */
  readonly oneOf?: readonly string[];
  /** Allowed values of string settings that are not free text. */
  readonly values?: Readonly<Record<string, readonly string[]>>;
}

/** What each sink kind takes; `kind` itself is not listed. */
export const SINK_SCHEMAS: Readonly<Record<SinkKind, SinkSchema>> = {
  // a topic of the source's cluster, or of another one (`brokers`)
  kafka: { required: { topic: 'string' }, optional: { brokers: 'brokers' } },
  postgres: {
    required: { table: 'string' },
    optional: { url: 'string', batchSize: 'number' },
  },
  redis: {
    required: {},
    optional: { stream: 'string', hash: 'string', url: 'string' },
    oneOf: ['stream', 'hash'],
  },
  http: {
    required: { url: 'string' },
    optional: { format: 'string', index: 'string', batchSize: 'number' },
    values: { format: ['json', 'elasticsearch-bulk'] },
  },
  file: { required: { path: 'string' }, optional: {} },
  null: { required: {}, optional: {} },
};

export const SINK_KINDS = Object.keys(SINK_SCHEMAS) as SinkKind[];

/** The keys of each section of a router file, for unknown-key diagnostics. */
export const ROUTER_KEYS = ['router', 'source', 'routes'] as const;
export const SOURCE_KEYS = ['topic', 'type'] as const;
export const ROUTE_KEYS = ['name', 'filter', 'script', 'project', 'sink', 'isolated'] as const;

/**
 * A route's script UDF: its file (relative to the project directory) or the Redis key
 * that holds it (exactly one), and its limits.
 */
export const SCRIPT_SETTINGS: Readonly<Record<string, SettingType>> = {
  file: 'string',
  redis: 'string',
  pollMs: 'number',
  function: 'string',
  dynamic: 'boolean',
  timeoutMs: 'number',
  memoryMb: 'number',
};

/** The least value of numeric settings (a batch of none, a limit of nothing, cannot work). */
export const SETTING_MINIMUMS: Readonly<Record<string, number>> = {
  batchSize: 1,
  timeoutMs: 1,
  memoryMb: 8,
  pollMs: 0,
};

/** Where a script's text is: exactly one of these. */
export const SCRIPT_SOURCES = ['file', 'redis'] as const;

/** Route names the router's own sinks take. */
export const RESERVED_ROUTE_NAMES = /^dead-letters(\..*)?$/;

import type { SourceLocation } from '../model/job-graph';

/** Where a router's records go: a reusable connector of the runtime, chosen by config. */
export type SinkKind = 'kafka' | 'postgres' | 'redis' | 'http' | 'file' | 'null';

/** A CEL expression written in a router file, and where its text starts there. */
export interface RouterExpression {
  readonly text: string;
  /** The file location of the character at `offset` in `text` (its start when unknown). */
  readonly locate: (offset: number) => SourceLocation;
}

/** One field of a route's projection: `name: <CEL expression>`. */
export interface ProjectedField {
  readonly name: string;
  readonly expression: RouterExpression;
  /** The CEL type the expression gives (set by the check; undefined when it failed). */
  type?: string;
}

export interface RouterSink {
  readonly kind: SinkKind;
  /** The sink's settings as written (topic, table, url, ...), all checked against the kind. */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly location: SourceLocation;
}

export interface Route {
  readonly name: string;
  readonly location: SourceLocation;
  readonly filter?: RouterExpression;
  /** A script UDF after the filter, before the projection. */
  readonly script?: RouteScriptConfig;
  /** Absent: the record goes on as it is. */
  readonly project?: readonly ProjectedField[];
  readonly sink: RouterSink;
  /** Runs as its own job with its own consumer group, not co-isolated with the others. */
  readonly isolated: boolean;
}

/** A route's script UDF: exactly one of `file` and `redis`. */
export interface RouteScriptConfig {
  /** As written: relative to the project directory (or absolute). */
  readonly file?: string;
  /** A Redis key holding the script's text, read at run time (so not checked at build time). */
  readonly redis?: string;
  /** Where the file or key is written. */
  readonly sourceLocation: SourceLocation;
  readonly function?: string;
  readonly dynamic?: boolean;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
  readonly memoryMb?: number;
}

/** A router file (`*.router.yaml`): one source and its routes, no user code. */
export interface RouterConfig {
  readonly name: string;
  readonly file: string;
  readonly location: SourceLocation;
  readonly source: {
    readonly topic: string;
    /** The exported interface or type alias naming the source's records. */
    readonly type: string;
    readonly typeLocation: SourceLocation;
  };
  readonly routes: readonly Route[];
}

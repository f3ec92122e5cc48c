/* eslint-disable @typescript-eslint/no-explicit-any -- route functions take records of the router's source type, typed where they are generated */
import type { Validator } from '../job/job-spec';
import type { ScriptSpec } from '../script/route-script';

/** Where a route's records go, as its router file says (`sink:`). */
export type RouteSinkSpec =
  | {
      readonly kind: 'kafka';
      readonly topic: string;
      /**
       * Another cluster's bootstrap servers (`host:port`, a list or a comma string): the
       * route writes through a producer of its own. Default: the source's cluster.
       */
      readonly brokers?: string | readonly string[];
    }
  | {
      readonly kind: 'postgres';
      readonly table: string;
      /** Default: `DATABASE_URL`, then the `PG*` variables `pg` reads. */
      readonly url?: string;
      readonly batchSize?: number;
    }
  | {
      readonly kind: 'redis';
      readonly stream?: string;
      readonly hash?: string;
      /** Default: `REDIS_URL`, then redis://127.0.0.1:6379. */
      readonly url?: string;
    }
  | {
      readonly kind: 'http';
      readonly url: string;
      readonly format?: 'json' | 'elasticsearch-bulk';
      readonly index?: string;
      readonly batchSize?: number;
    }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'null' };

/** One route: filter, projection, sink. Both functions are the router file's CEL, compiled. */
export interface RouteSpec {
  readonly name: string;
  readonly filter?: (record: any) => boolean;
  /**
   * A script UDF after the filter: each record through its function in a sandbox, a
   * batch per call; what it returns (null: nothing, an array: several) must still be a
   * record of the source type, then goes to the projection.
   */
  readonly script?: ScriptSpec;
  readonly project?: (record: any) => unknown;
  readonly sink: RouteSinkSpec;
  /** Runs as its own job, with its own consumer group. */
  readonly isolated?: boolean;
}

/** A router as generated from its file: one source topic, its records' validator, the routes. */
export interface RouterSpec {
  readonly name: string;
  readonly source: { readonly topic: string; readonly validate?: Validator };
  readonly routes: readonly RouteSpec[];
}

/** The sink name of a route in its job: the route's name. */
export const routeSinkName = (route: RouteSpec) => route.name;

/** The router's dead letters: records that fail validation or a route, and records a sink refused. */
export const ROUTER_DEAD_LETTERS = 'dead-letters';

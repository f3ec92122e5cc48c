import type { ViewCache } from '../connectors/view-cache/view-cache';

/**
 * One keyed state of a job published to a cache: a materialized view (pattern 5 of the
 * talk, Kafka Streams' KTable with its cache). After each checkpoint commits, the keys
 * of the state that checkpoint changed are written to the cache, versioned by the
 * checkpoint (see `task-views.ts`).
 */
export interface ViewSpec {
  /** The keyed function whose state it is: the operator's name, or a keyed stage's id. */
  readonly stage: string;
  /** The state, by the name the function declares it under. */
  readonly state: string;
  /** The cache key of state key `k` is `<prefix>:<k>`. */
  readonly prefix: string;
  /** Time to live of a published key, ms (default: none). */
  readonly ttlMs?: number;
}

/** A view with the cache it is published to, as a runner hands it to its tasks. */
export interface PublishedView {
  readonly spec: ViewSpec;
  readonly cache: ViewCache;
}

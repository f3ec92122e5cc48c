/** A read of one key of one keyed state (`GET /state/<stage>/<state>/<key>`). */
export interface StateQuery {
  /** The keyed function that holds the state: the operator's name, or a keyed stage's id. */
  readonly stage: string;
  readonly state: string;
  readonly key: string;
}

/** What a process answers for a {@link StateQuery}. */
export type QueryAnswer =
  /** This process runs the key's task: the key's value (undefined: none). */
  | {
      readonly kind: 'value';
      readonly task: string;
      readonly value: unknown;
      /** The task's latest checkpoint: the value may hold changes after it (it is the live state). */
      readonly checkpoint: number;
    }
  /** The key's task is not (or not yet) open here: its owner answers. */
  | { readonly kind: 'elsewhere'; readonly task: string }
  /** No such stage (here: another segment's tasks may hold it) or no such state of it. */
  | { readonly kind: 'unknown'; readonly what: 'stage' | 'state'; readonly reason: string };

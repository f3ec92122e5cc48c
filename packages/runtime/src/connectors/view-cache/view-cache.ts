/**
 * A cache that a view publishes the keys of one state to, at each checkpoint, for
 * clients to read (a playback client reads the set of locations of a movie's assets).
 *
 * Every value carries the version it was published at, and a write only lands when the
 * stored version is not newer. So a publish can be replayed (it writes the same values
 * again), and a stale one (from an instance that lost its partition, or from before a
 * rewind) can never overwrite what a newer one wrote.
 */

/**
 * When a value was published, compared lexicographically: `lineage` counts the rewinds
 * of the task's state (a rewound task publishes again from an older checkpoint id, and
 * must still win over what it published before the rewind), `checkpoint` is the id of
 * the checkpoint whose state the value is.
 */
export interface ViewVersion {
  readonly lineage: number;
  readonly checkpoint: number;
}

export interface ViewEntry {
  readonly key: string;
  /** JSON-serializable; undefined = the key has no value any more (delete) */
  readonly value: unknown;
}

/** The task that publishes: each task has its own marker and its own index of keys. */
export interface ViewScope {
  readonly job: string;
  readonly task: string;
}

export interface PublishResult {
  readonly written: number;
  /** entries whose stored version was newer: left as they were */
  readonly skipped: number;
}

export interface ViewCache {
  /** One line for logs, e.g. "Redis cache assets:* at redis://127.0.0.1:6379". */
  describe(): string;
  open(): Promise<void>;
  /** The version of the task's last complete publish (its marker), undefined if none. */
  published(scope: ViewScope): Promise<ViewVersion | undefined>;
  /**
   * Writes the entries at `version` (each key only if its stored version is not newer),
   * then sets the task's marker to `version` (only if not older than the marker). The
   * marker is written after every entry landed: a publish that fails half way leaves the
   * marker behind, and the caller publishes again.
   */
  publish(
    scope: ViewScope,
    version: ViewVersion,
    entries: readonly ViewEntry[],
  ): Promise<PublishResult>;
  /**
   * A full republish: writes `entries` (given in chunks) like publish, then removes every
   * key the task ever wrote whose version is older than `version` and that the entries
   * did not name (the key's value is removed; its version stays, as a tombstone, so an
   * older publish cannot bring it back), then sets the marker.
   */
  republish(
    scope: ViewScope,
    version: ViewVersion,
    chunks: AsyncIterable<readonly ViewEntry[]>,
  ): Promise<PublishResult & { readonly removed: number }>;
  /**
   * Forgets everything the task ever wrote: its keys (deleted outright, versions too), its
   * index and its marker; returns how many keys were deleted. For a task that starts a
   * new history (no checkpoint).
   */
  reset(scope: ViewScope): Promise<number>;
  /** Reads one key: its value and version, or undefined (absent or a tombstone). For clients and tests. */
  read(
    key: string,
  ): Promise<{ readonly value: unknown; readonly version: ViewVersion } | undefined>;
  close(): Promise<void>;
}

import type { TaskCheckpoint, CheckpointInfo } from './checkpoint';

/** What a backend stores for one (state name, key) of a task. */
export interface StoredEntry {
  /** The JSON value: a value, a list (array) or a map (object). */
  readonly value: unknown;
  /** Processing time (epoch ms) after which the entry reads as empty. */
  readonly expiresAt?: number;
}

export interface StateRef {
  readonly state: string;
  readonly key: string;
}

/** A change to keyed state, buffered in the task's cache until the next checkpoint. */
export interface StateWrite extends StateRef {
  /** `undefined` deletes the entry. */
  readonly entry: StoredEntry | undefined;
}

/** Keyed state of one task, as committed by its last checkpoint. */
export interface TaskStateStore {
  /**
   * Reads many entries in one round trip. The result has one slot per ref, in order;
   * `undefined` where nothing is stored. Implementations must not make one call per ref.
   */
  read(refs: readonly StateRef[]): Promise<Array<StoredEntry | undefined>>;
  /**
   * Every entry of one state as of the last checkpoint, in chunks of a few hundred to a
   * few thousand (a view republishes them, see `view/task-views.ts`); order unspecified.
   */
  scan(state: string): AsyncIterable<ReadonlyArray<readonly [key: string, entry: StoredEntry]>>;
}

/** Checkpoints of one task. */
export interface CheckpointStore {
  /** The newest checkpoint, or undefined when the task never checkpointed. */
  latest(): Promise<TaskCheckpoint | undefined>;
  /**
   * Atomically applies `writes` to the task's state and records `checkpoint`
   * (timers, watermarks, source positions): after a crash either all of it is
   * visible or none of it is. Both are serialized before this returns its promise:
   * the task goes on changing its state while the commit is in flight. With `ready`, an
   * implementation must apply nothing before it resolves (the outputs the checkpoint
   * covers are then in their sinks), and nothing at all if it rejects: a backend that
   * ignored it would commit source positions past outputs a crash then loses.
   */
  commit(
    checkpoint: TaskCheckpoint,
    writes: readonly StateWrite[],
    ready?: Promise<void>,
  ): Promise<void>;
  /** Retained checkpoints, newest first. */
  list(): Promise<CheckpointInfo[]>;
  /**
   * How many times the task's history was rewound (or a savepoint restored), as `latest`
   * read it last: with the checkpoint id, it orders what the task published (a view's
   * version), since ids start over from an older one after a rewind. 0 before `latest`.
   */
  lineage(): number;
}

export interface TaskScope {
  readonly job: string;
  readonly task: string;
}

export interface TaskStores {
  readonly state: TaskStateStore;
  readonly checkpoints: CheckpointStore;
}

/** Where keyed state, timers and checkpoints live (memory here; Redis in production). */
export interface StateBackend {
  /** One line for the start-up log, e.g. "in-memory state". */
  describe(): string;
  openTask(scope: TaskScope): Promise<TaskStores>;
  close(): Promise<void>;
}

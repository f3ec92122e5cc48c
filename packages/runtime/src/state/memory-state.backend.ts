import { CheckpointFencedError } from './checkpoint-fenced.error';
import type { CheckpointInfo, TaskCheckpoint } from './checkpoint';
import type {
  CheckpointStore,
  StateBackend,
  StateRef,
  StateWrite,
  StoredEntry,
  TaskScope,
  TaskStateStore,
  TaskStores,
} from './state-backend';

/** Entries are kept as JSON text, so memory behaves like a remote store: no shared objects. */
type Table = Map<string, string>;

interface RetainedCheckpoint {
  readonly checkpoint: TaskCheckpoint;
  readonly state: Table;
}

const refId = (ref: StateRef) => `${ref.state}\u0000${ref.key}`;

class MemoryTask implements TaskStateStore, CheckpointStore {
  constructor(
    private readonly retain: number,
    private readonly scope: TaskScope,
  ) {}

  /** State as of the newest checkpoint. */
  private committed: Table = new Map();
  private retained: RetainedCheckpoint[] = [];

  async read(refs: readonly StateRef[]): Promise<Array<StoredEntry | undefined>> {
    return refs.map((ref) => {
      const text = this.committed.get(refId(ref));
      return text === undefined ? undefined : (JSON.parse(text) as StoredEntry);
    });
  }

  async *scan(state: string): AsyncIterable<Array<readonly [string, StoredEntry]>> {
    const prefix = `${state}\u0000`;
    const chunk: Array<readonly [string, StoredEntry]> = [];
    for (const [id, text] of this.committed) {
      if (id.startsWith(prefix)) chunk.push([id.slice(prefix.length), JSON.parse(text)]);
    }
    if (chunk.length > 0) yield chunk;
  }

  /** Memory has no rewinds: one history per process. */
  lineage(): number {
    return 0;
  }

  async latest(): Promise<TaskCheckpoint | undefined> {
    return this.retained[0]?.checkpoint;
  }

  async commit(
    checkpoint: TaskCheckpoint,
    writes: readonly StateWrite[],
    ready?: Promise<void>,
  ): Promise<void> {
    // Serialize everything before touching the table, so a value that is not JSON
    // fails the commit as a whole instead of half-applying it.
    const encoded = writes.map((w) => [refId(w), w.entry && JSON.stringify(w.entry)] as const);
    await ready;
    // The same fence as the Redis backend: ids follow each other, so a stale owner loses.
    const latest = this.retained[0]?.checkpoint.id ?? 0;
    if (checkpoint.id !== latest + 1)
      throw new CheckpointFencedError(this.scope, checkpoint.id, latest);
    const next = new Map(this.committed);
    for (const [id, text] of encoded) {
      if (text === undefined) next.delete(id);
      else next.set(id, text);
    }
    this.committed = next;
    this.retained = [
      { checkpoint: structuredClone(checkpoint), state: next },
      ...this.retained,
    ].slice(0, this.retain);
  }

  async list(): Promise<CheckpointInfo[]> {
    return this.retained.map(({ checkpoint: { id, takenAt, positions } }) => ({
      id,
      takenAt,
      positions,
    }));
  }
}

/**
 * Keyed state and checkpoints in this process's memory: the embedded default.
 * Tasks reopened on the same instance (a restart in a test) see their last checkpoint.
 */
export class MemoryStateBackend implements StateBackend {
  private readonly tasks = new Map<string, MemoryTask>();

  constructor(private readonly options: { retainCheckpoints?: number } = {}) {}

  describe(): string {
    return 'in-memory state and checkpoints';
  }

  async openTask(scope: TaskScope): Promise<TaskStores> {
    const id = `${scope.job}:${scope.task}`;
    let task = this.tasks.get(id);
    if (!task) {
      task = new MemoryTask(this.options.retainCheckpoints ?? 10, scope);
      this.tasks.set(id, task);
    }
    return { state: task, checkpoints: task };
  }

  async close(): Promise<void> {}
}

import type { Clock } from '../time/clock';
import { UsageError } from '../util/errors';
import type { StateDescriptor } from './state-descriptor';
import type { StateRef, StateWrite, StoredEntry, TaskStateStore } from './state-backend';

interface CachedEntry {
  value: unknown;
  expiresAt: number | undefined;
  dirty: boolean;
}

/**
 * The per-task cache in front of a {@link TaskStateStore}.
 *
 * Reads: before an input batch (or a group of due timers) the task calls
 * {@link prefetch} with every key it is about to touch; the misses of all declared
 * states are read in one call to the store, so a batch costs one round trip at most.
 * Writes: stay here, marked dirty, until the next checkpoint drains them.
 */
export class KeyedStateCache {
  /** State name -> key -> entry: no string is built per access. */
  private readonly entries = new Map<string, Map<string, CachedEntry>>();
  private size = 0;
  private readonly reads = new Set<Promise<void>>();
  private readonly descriptors = new Map<string, StateDescriptor>();
  private storeReads = 0;

  constructor(
    private readonly store: TaskStateStore,
    private readonly clock: Clock,
    private readonly maxCleanEntries = 100_000,
  ) {}

  declare(descriptor: StateDescriptor): void {
    const known = this.descriptors.get(descriptor.name);
    if (known && (known.kind !== descriptor.kind || known.ttlMs !== descriptor.ttlMs)) {
      throw new UsageError(
        `state "${descriptor.name}" is declared twice with different settings (${known.kind} vs ${descriptor.kind})`,
      );
    }
    this.descriptors.set(descriptor.name, descriptor);
    if (!this.entries.has(descriptor.name)) this.entries.set(descriptor.name, new Map());
  }

  descriptor(name: string): StateDescriptor | undefined {
    return this.descriptors.get(name);
  }

  /** Round trips made to the store so far (for tests and metrics). */
  get roundTrips(): number {
    return this.storeReads;
  }

  async prefetch(keyList: Iterable<string>): Promise<void> {
    const keys = [...keyList]; // walked once per state
    const refs: StateRef[] = [];
    let waitForOthers = false;
    for (const state of this.descriptors.keys()) {
      const entries = this.stateEntries(state);
      for (const key of keys) {
        const entry = entries.get(key);
        if (entry === PENDING) waitForOthers = true;
        if (entry) continue;
        // a key listed twice is read once: its first miss marks it as in flight
        entries.set(key, PENDING);
        refs.push({ state, key });
      }
    }
    if (refs.length > 0) {
      const read = this.read(refs);
      this.reads.add(read);
      try {
        await read;
      } finally {
        this.reads.delete(read);
      }
    }
    // keys another prefetch is reading are usable once that read is in
    if (waitForOthers) await Promise.all([...this.reads]);
  }

  private async read(refs: readonly StateRef[]): Promise<void> {
    this.storeReads++;
    let found: Array<StoredEntry | undefined>;
    try {
      found = await this.store.read(refs);
    } catch (error) {
      for (const ref of refs) this.forgetPending(ref);
      throw error;
    }
    refs.forEach((ref, i) => {
      const entries = this.stateEntries(ref.state);
      // A write that raced the read must win.
      if (entries.get(ref.key) === PENDING) {
        entries.set(ref.key, fromStored(found[i]));
        this.size++;
      }
    });
  }

  private forgetPending(ref: StateRef): void {
    const entries = this.entries.get(ref.state)!;
    if (entries.get(ref.key) === PENDING) entries.delete(ref.key);
  }

  get(state: string, key: string): unknown {
    const entry = this.entries.get(state)?.get(key);
    if (!entry || entry === PENDING) {
      throw new UsageError(
        `state "${state}" of key "${key}" was not loaded: state is only readable for the key being processed`,
      );
    }
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.clock.now()) {
      if (entry.value !== undefined) {
        entry.value = undefined;
        entry.expiresAt = undefined;
        entry.dirty = true;
      }
      return undefined;
    }
    return entry.value;
  }

  set(state: string, key: string, value: unknown): void {
    const ttl = this.descriptors.get(state)?.ttlMs;
    const expiresAt = value !== undefined && ttl !== undefined ? this.clock.now() + ttl : undefined;
    const entries = this.stateEntries(state);
    const entry = entries.get(key);
    if (entry && entry !== PENDING) {
      entry.value = value;
      entry.expiresAt = expiresAt;
      entry.dirty = true;
    } else {
      entries.set(key, { value, expiresAt, dirty: true });
      this.size++;
    }
  }

  private stateEntries(state: string): Map<string, CachedEntry> {
    let entries = this.entries.get(state);
    if (!entries) this.entries.set(state, (entries = new Map()));
    return entries;
  }

  /** When an entry expires (undefined: never, or not cached). */
  protected expiryOf(state: string, key: string): number | undefined {
    const entry = this.entries.get(state)?.get(key);
    return entry && entry !== PENDING ? entry.expiresAt : undefined;
  }

  /** Puts an entry back as it was, expiry included (the undo of a failed call). */
  protected restoreEntry(
    state: string,
    key: string,
    value: unknown,
    expiresAt: number | undefined,
  ): void {
    this.set(state, key, value);
    const entry = this.entries.get(state)!.get(key)!;
    entry.expiresAt = value === undefined ? undefined : expiresAt;
  }

  /** Takes the writes made since the last call; the entries stay cached, now clean. */
  drainWrites(): StateWrite[] {
    const writes: StateWrite[] = [];
    for (const [state, entries] of this.entries) {
      for (const [key, entry] of entries) {
        if (!entry.dirty) continue;
        entry.dirty = false;
        writes.push({
          state,
          key,
          entry:
            entry.value === undefined
              ? undefined
              : { value: entry.value, expiresAt: entry.expiresAt },
        });
      }
    }
    return writes;
  }

  /** Puts back writes whose commit failed, unless the entry changed again since. */
  markDirty(writes: readonly StateWrite[]): void {
    for (const w of writes) {
      const entries = this.stateEntries(w.state);
      const entry = entries.get(w.key);
      if (entry && entry !== PENDING) entry.dirty = true;
      else {
        entries.set(w.key, { value: w.entry?.value, expiresAt: w.entry?.expiresAt, dirty: true });
        this.size++;
      }
    }
  }

  /** Forgets clean entries once there are too many. Dirty ones stay until checkpointed. */
  trim(): void {
    if (this.size <= this.maxCleanEntries) return;
    for (const entries of this.entries.values()) {
      for (const [key, entry] of entries) {
        if (!entry.dirty && entry !== PENDING) {
          entries.delete(key);
          this.size--;
        }
      }
    }
  }

  /** Drops everything, dirty writes included (used when a task is revoked or restored). */
  clear(): void {
    for (const entries of this.entries.values()) entries.clear();
    this.size = 0;
  }
}

/** Marks a key whose read is in flight (never handed out). */
const PENDING: CachedEntry = { value: undefined, expiresAt: undefined, dirty: false };

function fromStored(stored: StoredEntry | undefined): CachedEntry {
  return { value: stored?.value, expiresAt: stored?.expiresAt, dirty: false };
}

import type { Clock } from '../time/clock';
import { UsageError } from '../util/errors';
import type { StateDescriptor } from './state-descriptor';
import type { StateRef, StateWrite, StoredEntry, TaskStateStore } from './state-backend';

interface CachedEntry {
  value: unknown;
  expiresAt: number | undefined;
  dirty: boolean;
}

const SEP = '\u0000';
const refId = (state: string, key: string) => state + SEP + key;

/**
 * The per-task cache in front of a {@link TaskStateStore}.
 *
 * Reads: before an input batch (or a group of due timers) the task calls
 * {@link prefetch} with every key it is about to touch; the misses of all declared
 * states are read in one call to the store, so a batch costs one round trip at most.
 * Writes: stay here, marked dirty, until the next checkpoint drains them.
 */
export class KeyedStateCache {
  private readonly entries = new Map<string, CachedEntry>();
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
  }

  descriptor(name: string): StateDescriptor | undefined {
    return this.descriptors.get(name);
  }

  /** Round trips made to the store so far (for tests and metrics). */
  get roundTrips(): number {
    return this.storeReads;
  }

  async prefetch(keys: Iterable<string>): Promise<void> {
    const refs: StateRef[] = [];
    for (const key of new Set(keys)) {
      for (const state of this.descriptors.keys()) {
        if (!this.entries.has(refId(state, key))) refs.push({ state, key });
      }
    }
    if (refs.length === 0) return;
    this.storeReads++;
    const found = await this.store.read(refs);
    refs.forEach((ref, i) => {
      const id = refId(ref.state, ref.key);
      // A write that raced the read (same key prefetched twice) must win.
      if (!this.entries.has(id)) this.entries.set(id, fromStored(found[i]));
    });
  }

  get(state: string, key: string): unknown {
    const entry = this.entries.get(refId(state, key));
    if (!entry) {
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
    this.entries.set(refId(state, key), {
      value,
      expiresAt: value !== undefined && ttl !== undefined ? this.clock.now() + ttl : undefined,
      dirty: true,
    });
  }

  /** Takes the writes made since the last call; the entries stay cached, now clean. */
  drainWrites(): StateWrite[] {
    const writes: StateWrite[] = [];
    for (const [id, entry] of this.entries) {
      if (!entry.dirty) continue;
      entry.dirty = false;
      const sep = id.indexOf(SEP);
      writes.push({
        state: id.slice(0, sep),
        key: id.slice(sep + 1),
        entry:
          entry.value === undefined
            ? undefined
            : { value: entry.value, expiresAt: entry.expiresAt },
      });
    }
    return writes;
  }

  /** Puts back writes whose commit failed, unless the entry changed again since. */
  markDirty(writes: readonly StateWrite[]): void {
    for (const w of writes) {
      const entry = this.entries.get(refId(w.state, w.key));
      if (entry) entry.dirty = true;
      else
        this.entries.set(refId(w.state, w.key), {
          value: w.entry?.value,
          expiresAt: w.entry?.expiresAt,
          dirty: true,
        });
    }
  }

  /** Forgets clean entries once there are too many. Dirty ones stay until checkpointed. */
  trim(): void {
    if (this.entries.size <= this.maxCleanEntries) return;
    for (const [id, entry] of this.entries) {
      if (!entry.dirty) this.entries.delete(id);
    }
  }

  /** Drops everything, dirty writes included (used when a task is revoked or restored). */
  clear(): void {
    this.entries.clear();
  }
}

function fromStored(stored: StoredEntry | undefined): CachedEntry {
  return { value: stored?.value, expiresAt: stored?.expiresAt, dirty: false };
}

import { KeyedStateCache } from '../state/keyed-state-cache';

interface BeforeImage {
  readonly state: string;
  readonly key: string;
  /**
   * The entry before the call touched it (undefined when empty): for a list state the
   * list itself and its length (list handles only append in place, and `update` makes
   * a new list), so no list is copied per call; otherwise a shallow copy.
   */
  readonly value: unknown;
  readonly length: number;
  readonly expiresAt: number | undefined;
}

/**
 * The task's state cache, able to undo what one call of a user function did to it.
 * While recording, the first read or write of an entry keeps its before image: handles
 * change cached values in place (a list's `add` pushes, a map's `put` and `remove`
 * change its object), so an object is copied (shallow) and a list is kept with its
 * length. {@link undoRecorded} puts back every entry that differs from its image.
 *
 * Shallow, not deep, for speed: a deep copy (JSON) per call took about an eighth of
 * ImpressionJoin's time in the embedded demo. So what is undone is every change made
 * through the handles, to the top-level fields of an object value, and appends to an
array; not other in-place changes to an array read from state (sorting it, setting
 * an element), nor changes to an object nested deeper (a value of a map, a field of a
 * field).
 */
export class JournaledStateCache extends KeyedStateCache {
  private recording = false;
  /** A call touches few entries (those of its key): a list beats a map here. */
  private readonly before: BeforeImage[] = [];

  startRecording(): void {
    this.before.length = 0;
    this.recording = true;
  }

  /** Keeps the changes made since {@link startRecording}. */
  stopRecording(): void {
    this.recording = false;
    this.before.length = 0;
  }

  /** Restores the entries touched since {@link startRecording}, and stops recording. */
  undoRecorded(): void {
    this.recording = false;
    for (const { state, key, value, length, expiresAt } of this.before) {
      if (length >= 0) (value as unknown[]).length = length;
      this.restoreEntry(state, key, value, expiresAt);
    }
    this.before.length = 0;
  }

  override get(state: string, key: string): unknown {
    const value = super.get(state, key);
    if (this.recording) this.keep(state, key, value);
    return value;
  }

  override set(state: string, key: string, value: unknown): void {
    if (this.recording) this.keep(state, key, super.get(state, key));
    super.set(state, key, value);
  }

  private keep(state: string, key: string, current: unknown): void {
    for (const b of this.before) if (b.state === state && b.key === key) return;
    const expiresAt = this.expiryOf(state, key);
    const list = Array.isArray(current) && this.descriptor(state)?.kind === 'list';
    this.before.push(
      list
        ? { state, key, value: current, length: current.length, expiresAt }
        : { state, key, value: shallowCopy(current), length: -1, expiresAt },
    );
  }
}

function shallowCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice();
  return isObject(value) ? { ...value } : value;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object';

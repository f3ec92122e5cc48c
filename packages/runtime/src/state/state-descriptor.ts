export type StateKind = 'value' | 'list' | 'map';

/** Declares one piece of keyed state. Values must survive JSON (they are stored as JSON). */
export interface StateDescriptor {
  readonly name: string;
  readonly kind: StateKind;
  /**
   * Time to live in processing-time ms, counted from the last write of the entry
   * (for a map: of the whole map of that key). An expired entry reads as empty.
   */
  readonly ttlMs?: number;
}

export function validateStateName(name: string): void {
  if (!/^[A-Za-z_][\w.-]*$/.test(name)) {
    throw new RangeError(
      `state name "${name}" is not valid: use letters, digits, '_', '.' or '-', starting with a letter or '_'`,
    );
  }
}

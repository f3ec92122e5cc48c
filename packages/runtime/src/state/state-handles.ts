import type { KeyedStateCache } from './keyed-state-cache';

/** Where the handles find the key being processed. */
export interface CurrentKey {
  currentKey(): string;
}

/**
 * A single value per key. Objects read from state are the cached instance: after
 * mutating one, call `update` so the change is checkpointed.
 */
export interface ValueState<T> {
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

export interface ListState<T> {
  get(): readonly T[];
  add(value: T): void;
  addAll(values: readonly T[]): void;
  update(values: readonly T[]): void;
  clear(): void;
}

export interface MapState<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  put(key: string, value: V): void;
  remove(key: string): void;
  entries(): Array<[string, V]>;
  keys(): string[];
  values(): V[];
  size(): number;
  isEmpty(): boolean;
  clear(): void;
}

abstract class Handle {
  constructor(
    protected readonly cache: KeyedStateCache,
    protected readonly scope: CurrentKey,
    protected readonly name: string,
  ) {}
  protected read(): unknown {
    return this.cache.get(this.name, this.scope.currentKey());
  }
  protected write(value: unknown): void {
    this.cache.set(this.name, this.scope.currentKey(), value);
  }
  clear(): void {
    this.write(undefined);
  }
}

export class ValueStateHandle<T> extends Handle implements ValueState<T> {
  value(): T | undefined {
    return this.read() as T | undefined;
  }
  update(value: T): void {
    if (value === undefined)
      throw new TypeError(`ValueState "${this.name}": use clear() instead of update(undefined)`);
    this.write(value);
  }
}

export class ListStateHandle<T> extends Handle implements ListState<T> {
  get(): readonly T[] {
    return (this.read() as T[] | undefined) ?? [];
  }
  add(value: T): void {
    this.addAll([value]);
  }
  addAll(values: readonly T[]): void {
    // Appends in place: copying the list per add would make a long list quadratic.
    const list = (this.read() as T[] | undefined) ?? [];
    list.push(...values);
    this.write(list);
  }
  update(values: readonly T[]): void {
    this.write(values.length === 0 ? undefined : [...values]);
  }
}

export class MapStateHandle<V> extends Handle implements MapState<V> {
  private map(): Record<string, V> {
    return (this.read() as Record<string, V> | undefined) ?? {};
  }
  get(key: string): V | undefined {
    const map = this.map();
    return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
  }
  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.map(), key);
  }
  put(key: string, value: V): void {
    const map = this.map();
    map[key] = value;
    this.write(map);
  }
  remove(key: string): void {
    const map = this.map();
    if (!Object.prototype.hasOwnProperty.call(map, key)) return;
    delete map[key];
    this.write(Object.keys(map).length === 0 ? undefined : map);
  }
  entries(): Array<[string, V]> {
    return Object.entries(this.map());
  }
  keys(): string[] {
    return Object.keys(this.map());
  }
  values(): V[] {
    return Object.values(this.map());
  }
  size(): number {
    return Object.keys(this.map()).length;
  }
  isEmpty(): boolean {
    return this.size() === 0;
  }
}

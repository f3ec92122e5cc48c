import 'reflect-metadata';

/** Appends an entry to a list kept on the class under `key` (own metadata: subclasses do not mutate parents). */
export function appendTo<T>(key: string, target: object, entry: T): void {
  const own = (Reflect.getOwnMetadata(key, target) as T[] | undefined) ?? [];
  Reflect.defineMetadata(key, [...own, entry], target);
}

export function listOf<T>(key: string, target: object): T[] {
  return (Reflect.getMetadata(key, target) as T[] | undefined) ?? [];
}

/** The class of a member decorator's target (the prototype for instance members). */
export function classOf(target: object): object {
  return typeof target === 'function' ? target : (target as { constructor: object }).constructor;
}

import { CHAIN, STEPS } from './constants';
import type { ChainOptions, StepKind } from './metadata';
import { appendTo, classOf } from './record';

/**
 * The class is a stateless stage: its @FilterElement, @MapElement and @FlatMapElement
 * methods, in the order they are written, applied to each element of `input`; what
 * comes out is the stream `output`. List it in `@StreamJob({ stages: [...] })`. Its
 * steps may read lookup tables its @LookupTable methods load (the talk's `map(lookup)`).
 */
export function Chain(options: ChainOptions): ClassDecorator {
  return (target) => Reflect.defineMetadata(CHAIN, { ...options }, target);
}

const step =
  (kind: StepKind): (() => MethodDecorator) =>
  () =>
  (target, method) =>
    appendTo(STEPS, classOf(target), { method: String(method), kind });

/** Keeps the elements for which the method returns true: `(element) => boolean`. */
export const FilterElement = step('filter');

/** Replaces each element by what the method returns: `(element) => Out`. */
export const MapElement = step('map');

/** Replaces each element by the elements the method returns (none, one or more): `(element) => Out[]`. */
export const FlatMapElement = step('flatMap');

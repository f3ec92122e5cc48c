import { ENRICHERS, HANDLERS, KEYS, LOOKUPS, STATES, TIMERS } from './constants';
import type {
  AsyncEnrichOptions,
  LookupTableOptions,
  Selector,
  StateOptions,
  TimeDomain,
} from './metadata';
import { appendTo, classOf } from './record';

/**
 * The method handles the elements of `source`: `(element, ctx) => void`. Without a
 * source, in a `@Union`, it handles the elements of every input (`ctx.input` names it).
 */
export function ProcessElement(source?: string): MethodDecorator {
  return (target, method) =>
    appendTo(HANDLERS, classOf(target), {
      method: String(method),
      ...(source === undefined ? {} : { source }),
    });
}

/**
 * The key of the elements this handler receives: a pure arrow function of the element
 * or a field path (`'profileId'`). The code generator copies it into the generated
 * runner, so it may not use anything but its parameter.
 */
export function KeyBy<T>(selector: Selector<T, string | number>): MethodDecorator {
  return (target, method) =>
    appendTo(KEYS, classOf(target), { method: String(method), key: selector });
}

/** The method is called when a timer of the current key fires: `(timestamp, ctx) => void`. */
export function Timer(domain: TimeDomain = 'event'): MethodDecorator {
  return (target, method) => appendTo(TIMERS, classOf(target), { method: String(method), domain });
}

/** Keyed state held in this property (`ValueState<T>`, `ListState<T>` or `MapState<V>`). */
export function State(options: StateOptions = {}): PropertyDecorator {
  return (target, property) =>
    appendTo(STATES, classOf(target), { ...options, property: String(property) });
}

/** The method enriches each element of `options.source` by calling a service, under these limits: `(element, signal) => Promise<Out>`. */
export function AsyncEnrich(options: AsyncEnrichOptions): MethodDecorator {
  return (target, method) =>
    appendTo(ENRICHERS, classOf(target), { ...options, method: String(method) });
}

/**
 * The method loads a lookup table (side input) into a field of its class, reloaded
 * every `refresh`: `load(): Promise<void>`. On the job class of an @AsyncEnrich job the
 * enrichment reads it; on a @Chain class its steps do. Each task loads its own copy
 * before its first element, retrying until the first load succeeds; a failed reload
 * keeps the previous table.
 */
export function LookupTable(options: LookupTableOptions): MethodDecorator {
  return (target, method) =>
    appendTo(LOOKUPS, classOf(target), { ...options, method: String(method) });
}

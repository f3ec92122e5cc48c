import { OPERATOR, SINKS, SOURCES, STREAM_JOB } from './constants';
import type {
  WindowOptions,
  CoProcessOptions,
  KeyedProcessOptions,
  SinkOptions,
  SourceOptions,
  StreamJobMetadata,
  UnionOptions,
} from './metadata';
import { appendTo } from './record';

/** Marks a class as a stream job. The name defaults to the class name. */
export function StreamJob(options: Partial<StreamJobMetadata> = {}): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(STREAM_JOB, { ...options, name: options.name ?? target.name }, target);
  };
}

/** Declares a named input of the job. Repeat it for each source. */
export function Source<T = unknown>(name: string, options: SourceOptions<T> = {}): ClassDecorator {
  return (target) => appendTo(SOURCES, target, { ...options, name });
}

/**
 * Declares a named output of the job. Repeat it for each sink. With `stream`, the sink
 * gets a copy of that stream, one a keyed stage reads (fan-out).
 */
export function Sink(name: string, options: SinkOptions = {}): ClassDecorator {
  return (target) => appendTo(SINKS, target, { ...options, name });
}

/** The class is a keyed function over two co-partitioned inputs sharing key, state and timers. */
export function CoProcess(options: CoProcessOptions): ClassDecorator {
  return (target) => Reflect.defineMetadata(OPERATOR, { ...options, kind: 'coProcess' }, target);
}

/**
 * The class is a keyed function over one input: the job's operator, or with `id` a
 * keyed stage behind a repartition, listed in `@StreamJob({ stages })`.
 */
export function KeyedProcess(options: KeyedProcessOptions): ClassDecorator {
  return (target) => Reflect.defineMetadata(OPERATOR, { ...options, kind: 'process' }, target);
}

/**
 * The class is a keyed function over two or more streams of one key, sharing state and
 * timers: one `@ProcessElement()` handler for every input, or one `@ProcessElement(input)`
 * per input.
 */
export function Union(options: UnionOptions): ClassDecorator {
  return (target) => Reflect.defineMetadata(OPERATOR, { ...options, kind: 'union' }, target);
}

/**
 * The class is a window function over the windows of each key of `input` (see
 * {@link WindowOptions}): the job's operator, or with `id` a stage.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the selector's element type is the user's
export function Window<T = any>(options: WindowOptions<T>): ClassDecorator {
  return (target) => Reflect.defineMetadata(OPERATOR, { ...options, kind: 'window' }, target);
}

import type { JobSpec } from '../job/job-spec';
import type {
  ElementContext,
  RuntimeContext,
  StateOptions,
  TimerContext,
} from '../job/process-function';
import type { KeyedStateCache } from '../state/keyed-state-cache';
import type { StateDescriptor, StateKind } from '../state/state-descriptor';
import { validateStateName } from '../state/state-descriptor';
import { ListStateHandle, MapStateHandle, ValueStateHandle } from '../state/state-handles';
import { UsageError } from '../util/errors';

/** The user's process or co-process function behind one call shape. */
export interface KeyedOperator {
  readonly name: string;
  processElement(input: number, value: unknown, ctx: ElementContext<unknown>): void | Promise<void>;
  onTimer(timestamp: number, ctx: TimerContext<unknown>): void | Promise<void>;
}

/** Instantiates the job's function and lets it declare its state in `open()`. */
export async function createKeyedOperator(
  job: JobSpec,
  taskId: string,
  cache: KeyedStateCache,
  currentKey: () => string,
): Promise<KeyedOperator> {
  const spec = job.operator;
  if (!spec || spec.kind === 'async')
    throw new UsageError(`job "${job.name}" has no keyed operator`);
  const scope = { currentKey };
  let opening = true;
  const declare = (name: string, kind: StateKind, options?: StateOptions) => {
    if (!opening) {
      throw new UsageError(
        `operator "${spec.name}": state "${name}" must be declared in open(), not while processing`,
      );
    }
    validateStateName(name);
    if (options?.ttlMs !== undefined && !(options.ttlMs > 0)) {
      throw new RangeError(`state "${name}": ttlMs must be > 0, got ${options.ttlMs}`);
    }
    const descriptor: StateDescriptor = { name, kind, ttlMs: options?.ttlMs };
    cache.declare(descriptor);
    return descriptor;
  };
  const runtime: RuntimeContext = {
    jobName: job.name,
    taskId,
    valueState: (name, options) =>
      new ValueStateHandle(cache, scope, declare(name, 'value', options).name),
    listState: (name, options) =>
      new ListStateHandle(cache, scope, declare(name, 'list', options).name),
    mapState: (name, options) =>
      new MapStateHandle(cache, scope, declare(name, 'map', options).name),
    state: (d) => {
      if (d.kind === 'value') return runtime.valueState(d.name, d);
      if (d.kind === 'list') return runtime.listState(d.name, d);
      return runtime.mapState(d.name, d);
    },
  };

  if (spec.kind === 'process' || spec.kind === 'union') {
    const fn = await spec.create();
    await fn.open?.(runtime);
    opening = false;
    return {
      name: spec.name,
      processElement: (_input, value, ctx) => fn.processElement(value, ctx),
      onTimer: (ts, ctx) => fn.onTimer?.(ts, ctx),
    };
  }
  const fn = await spec.create();
  await fn.open?.(runtime);
  opening = false;
  return {
    name: spec.name,
    processElement: (input, value, ctx) =>
      input === 0 ? fn.processElement1(value, ctx) : fn.processElement2(value, ctx),
    onTimer: (ts, ctx) => fn.onTimer?.(ts, ctx),
  };
}

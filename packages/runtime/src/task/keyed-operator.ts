import type { JobSpec, KeyedFunctionSpec, KeyedStageSpec } from '../job/job-spec';
import type {
  ElementContext,
  KeyedProcessFunction,
  RuntimeContext,
  StateOptions,
  TimerContext,
} from '../job/process-function';
import type { KeyedStateCache } from '../state/keyed-state-cache';
import type { StateDescriptor, StateKind } from '../state/state-descriptor';
import { validateStateName } from '../state/state-descriptor';
import { ListStateHandle, MapStateHandle, ValueStateHandle } from '../state/state-handles';
import { UsageError } from '../util/errors';
import { windowOperator } from '../window/window-operator';
import type { WindowFunction } from '../window/window-spec';

/** The user's process or co-process function behind one call shape. */
export interface KeyedOperator {
  readonly name: string;
  processElement(input: number, value: unknown, ctx: ElementContext<unknown>): void | Promise<void>;
  onTimer(timestamp: number, ctx: TimerContext<unknown>): void | Promise<void>;
  /** Names the fused stage a failed call failed in, when it was not the operator. */
  readonly failedLabel?: () => string | undefined;
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
  const runtime = stateDeclarations(
    `operator "${spec.name}"`,
    job.name,
    taskId,
    cache,
    currentKey,
    '',
  );
  if (spec.kind === 'process' || spec.kind === 'union') {
    const fn =
      spec.kind === 'process'
        ? await keyedFunctionOf(spec, `operator "${spec.name}"`, '')
        : await spec.create();
    await fn.open?.(runtime.context);
    runtime.opened();
    return {
      name: spec.name,
      processElement: (_input, value, ctx) => fn.processElement(value, ctx),
      onTimer: (ts, ctx) => fn.onTimer?.(ts, ctx),
    };
  }
  const fn = await spec.create();
  await fn.open?.(runtime.context);
  runtime.opened();
  return {
    name: spec.name,
    processElement: (input, value, ctx) =>
      input === 0 ? fn.processElement1(value, ctx) : fn.processElement2(value, ctx),
    onTimer: (ts, ctx) => fn.onTimer?.(ts, ctx),
  };
}

/**
 * Instantiates a fused keyed stage's function: its state is named `<stage id>.<name>`,
 * beside the state of the stage it is fused with, in the same task.
 */
export async function createStageOperator(
  stage: KeyedStageSpec,
  jobName: string,
  taskId: string,
  cache: KeyedStateCache,
  currentKey: () => string,
): Promise<KeyedOperator> {
  const runtime = stateDeclarations(
    `keyed stage "${stage.id}"`,
    jobName,
    taskId,
    cache,
    currentKey,
    `${stage.id}.`,
  );
  const fn = await keyedFunctionOf(stage, `keyed stage "${stage.id}"`, `${stage.id}:`);
  await fn.open?.(runtime.context);
  runtime.opened();
  return {
    name: stage.id,
    processElement: (_input, value, ctx) => fn.processElement(value, ctx),
    onTimer: (ts, ctx) => fn.onTimer?.(ts, ctx),
  };
}

/**
 * The keyed process function of a one-input operator or stage: its own, or the window
 * operator over its window function (`label` names it in errors, `originPrefix` starts
 * its windows' output ids).
 */
async function keyedFunctionOf(
  spec: KeyedFunctionSpec,
  label: string,
  originPrefix: string,
): Promise<KeyedProcessFunction<unknown, unknown>> {
  const fn = await spec.create();
  const isProcess =
    typeof (fn as Partial<KeyedProcessFunction<unknown, unknown>>).processElement === 'function';
  if (spec.window !== undefined) {
    if (isProcess)
      throw new UsageError(
        `${label} has a window, so its create() gives a window function (an aggregate or process), not a keyed process function`,
      );
    return windowOperator(spec.window, fn as WindowFunction<unknown, unknown>, label, originPrefix);
  }
  if (!isProcess)
    throw new UsageError(
      `${label}: create() gave no processElement; a window function needs the stage's window`,
    );
  return fn as KeyedProcessFunction<unknown, unknown>;
}

/** Where a function declares its state in `open()`, and only there; names get `prefix`. */
function stateDeclarations(
  /** Names the function in errors. */
  label: string,
  jobName: string,
  taskId: string,
  cache: KeyedStateCache,
  currentKey: () => string,
  prefix: string,
): { readonly context: RuntimeContext; opened(): void } {
  const scope = { currentKey };
  let opening = true;
  const declare = (name: string, kind: StateKind, options?: StateOptions) => {
    if (!opening) {
      throw new UsageError(
        `${label}: state "${name}" must be declared in open(), not while processing`,
      );
    }
    validateStateName(name);
    if (options?.ttlMs !== undefined && !(options.ttlMs > 0)) {
      throw new RangeError(`state "${name}": ttlMs must be > 0, got ${options.ttlMs}`);
    }
    const descriptor: StateDescriptor = { name: prefix + name, kind, ttlMs: options?.ttlMs };
    cache.declare(descriptor);
    return descriptor;
  };
  const context: RuntimeContext = {
    jobName,
    taskId,
    valueState: (name, options) =>
      new ValueStateHandle(cache, scope, declare(name, 'value', options).name),
    listState: (name, options) =>
      new ListStateHandle(cache, scope, declare(name, 'list', options).name),
    mapState: (name, options) =>
      new MapStateHandle(cache, scope, declare(name, 'map', options).name),
    state: (d) => {
      if (d.kind === 'value') return context.valueState(d.name, d);
      if (d.kind === 'list') return context.listState(d.name, d);
      return context.mapState(d.name, d);
    },
  };
  return {
    context,
    opened: () => {
      opening = false;
    },
  };
}

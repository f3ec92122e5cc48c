import {
  CHAIN,
  ENRICHERS,
  HANDLERS,
  KEYS,
  LOOKUPS,
  OPERATOR,
  SCRIPT_STAGE,
  SINKS,
  SOURCES,
  STATES,
  STEPS,
  STREAM_JOB,
  TIMERS,
} from './constants';
import type {
  ChainOptions,
  HandlerMetadata,
  JobClassMetadata,
  OperatorMetadata,
  ScriptStageOptions,
  StepMetadata,
  StreamJobMetadata,
} from './metadata';
import { listOf } from './record';

/** Everything the decorators recorded on `target`, handlers joined with their key selectors. */
export function readJobMetadata(target: object): JobClassMetadata {
  const keys = new Map(
    listOf<{ method: string; key: HandlerMetadata['key'] }>(KEYS, target).map((k) => [
      k.method,
      k.key,
    ]),
  );
  return {
    job: Reflect.getMetadata(STREAM_JOB, target) as StreamJobMetadata | undefined,
    sources: listOf(SOURCES, target),
    sinks: listOf(SINKS, target),
    operator: Reflect.getMetadata(OPERATOR, target) as OperatorMetadata | undefined,
    handlers: listOf<HandlerMetadata>(HANDLERS, target).map((h) => ({
      ...h,
      key: keys.get(h.method),
    })),
    states: listOf(STATES, target),
    timers: listOf(TIMERS, target),
    enrichers: listOf(ENRICHERS, target),
    lookups: listOf(LOOKUPS, target),
    chain: chainOf(target),
    scriptStage: Reflect.getMetadata(SCRIPT_STAGE, target) as ScriptStageOptions | undefined,
  };
}

function chainOf(target: object): JobClassMetadata['chain'] {
  const options = Reflect.getMetadata(CHAIN, target) as ChainOptions | undefined;
  return options && { ...options, steps: listOf<StepMetadata>(STEPS, target) };
}

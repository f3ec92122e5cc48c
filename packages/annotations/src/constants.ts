/** Metadata keys of every decorator, namespaced so they cannot clash with other libraries. */
export const STREAM_JOB = 'stream-gen:job';
export const SOURCES = 'stream-gen:sources';
export const SINKS = 'stream-gen:sinks';
export const OPERATOR = 'stream-gen:operator';
export const HANDLERS = 'stream-gen:handlers';
export const KEYS = 'stream-gen:keys';
export const STATES = 'stream-gen:states';
export const TIMERS = 'stream-gen:timers';
export const ENRICHERS = 'stream-gen:enrichers';
export const LOOKUPS = 'stream-gen:lookups';
export const CHAIN = 'stream-gen:chain';
export const STEPS = 'stream-gen:steps';
export const SCRIPT_STAGE = 'stream-gen:script-stage';

/** The decorator names the code generator looks for (it reads source, not metadata). */
export const DECORATOR_NAMES = [
  'StreamJob',
  'Source',
  'Sink',
  'KeyBy',
  'CoProcess',
  'KeyedProcess',
  'Union',
  'Window',
  'ProcessElement',
  'Timer',
  'State',
  'AsyncEnrich',
  'LookupTable',
  'Chain',
  'FilterElement',
  'MapElement',
  'FlatMapElement',
  'ScriptStage',
] as const;

export { StreamJob, Source, Sink, CoProcess, KeyedProcess, Union, Window } from './job.decorators';
export { ProcessElement, KeyBy, Timer, State, AsyncEnrich, LookupTable } from './member.decorators';
export { Chain, FilterElement, MapElement, FlatMapElement } from './stage.decorators';
export { ScriptStage, type ScriptFunction } from './script-stage.decorator';
export { readJobMetadata } from './read-metadata';
export { toMillis, type Duration } from './duration';
export * as MetadataKeys from './constants';
export { DECORATOR_NAMES } from './constants';
export type * from './metadata';

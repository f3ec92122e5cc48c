import type { JobGraph, PublishNode, StateNode } from '../model/job-graph';

/** A published state of a job, with the stage that holds it (the operator's class name or a keyed stage's id). */
export interface PublishedState {
  readonly stage: string;
  readonly state: StateNode;
  readonly publish: PublishNode;
  /** The cache prefix: the one given, else `<Job>.<state>` (unique across jobs). */
  readonly prefix: string;
}

/** Every `@State({ publish })` of the job's operator and keyed stages, in declaration order. */
export function publishedStates(graph: JobGraph): PublishedState[] {
  const of = (stage: string, states: readonly StateNode[]): PublishedState[] =>
    states.flatMap((state) => {
      const { publish } = state;
      if (!publish) return [];
      return [{ stage, state, publish, prefix: publish.prefix ?? `${graph.name}.${state.name}` }];
    });
  return [
    ...(graph.operator ? of(graph.className, graph.operator.states) : []),
    ...graph.keyedStages.flatMap((s) => of(s.id, s.process.states)),
  ];
}

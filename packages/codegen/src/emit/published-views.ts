import type { JobGraph, PublishNode, StateNode } from '../model/job-graph';

/** A published state of a job, with the stage that holds it (the operator's class name or a keyed stage's id). */
export interface PublishedState {
  readonly stage: string;
  readonly state: StateNode;
  readonly publish: PublishNode;
}

/** Every `@State({ publish })` of the job's operator and keyed stages, in declaration order. */
export function publishedStates(graph: JobGraph): PublishedState[] {
  const of = (stage: string, states: readonly StateNode[]): PublishedState[] =>
    states.flatMap((state) => (state.publish ? [{ stage, state, publish: state.publish }] : []));
  return [
    ...(graph.operator ? of(graph.className, graph.operator.states) : []),
    ...graph.keyedStages.flatMap((s) => of(s.id, s.process.states)),
  ];
}

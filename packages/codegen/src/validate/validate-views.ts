import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { publishedStates } from '../emit/published-views';
import type { JobGraph } from '../model/job-graph';

/** Each published state of a job has a cache prefix of its own (SG1404): two would overwrite each other's keys. */
export function validateViews(job: JobGraph, sink: DiagnosticsSink): void {
  const seen = new Map<string, string>();
  for (const { stage, state, publish, prefix } of publishedStates(job)) {
    const where = `${stage}.${state.name}`;
    const first = seen.get(prefix);
    if (first) {
      sink.reportAt(
        'SG1404',
        `state ${where} is published under prefix "${prefix}", as ${first} is: give one of them a prefix of its own`,
        publish.location,
      );
    } else seen.set(prefix, where);
  }
}

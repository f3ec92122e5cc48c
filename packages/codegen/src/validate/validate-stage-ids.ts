import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import type { JobGraph, SourceLocation } from '../model/job-graph';
import { invalidName, RUNTIME_NAME } from './name-list';

/**
 * Stage ids, chain and keyed alike, are unique in the job and not the operator's name
 * (its class's), which names its tasks' outputs the same way (SG2001), and follow the
 * runtime's rule for names (SG1002): a keyed stage's id names its tasks, state and
 * repartition topic.
 */
export function validateStageIds(job: JobGraph, sink: DiagnosticsSink): void {
  const ids = new Map<string, { readonly className: string }>();
  const stages: ReadonlyArray<{
    readonly id: string;
    readonly className: string;
    readonly at: { readonly id: SourceLocation };
  }> = [...job.stages, ...job.keyedStages];
  for (const stage of stages) {
    if (!RUNTIME_NAME.test(stage.id))
      sink.reportAt('SG1002', invalidName('stage id', stage.id), stage.at.id);
    const first = ids.get(stage.id);
    if (job.operator && stage.id === job.className) {
      sink.reportAt(
        'SG2001',
        `stage id "${stage.id}" is the name of the job's operator (class ${job.className}); stage ids name state and outputs, so each must be unique`,
        stage.at.id,
      );
    } else if (first) {
      sink.reportAt(
        'SG2001',
        `stage id "${stage.id}" is used by ${first.className} and ${stage.className}; stage ids name state and outputs, so each must be unique`,
        stage.at.id,
      );
    } else ids.set(stage.id, stage);
  }
}

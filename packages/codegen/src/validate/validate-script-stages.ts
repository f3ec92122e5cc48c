import { resolve } from 'node:path';
import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import type { JobGraph } from '../model/job-graph';
import { operatorStreamOf, sourceStreams, streamsOf } from '../model/streams';
import { scriptFileProblem } from '../script/script-file-problem';

/**
 * Each `@ScriptStage` of a job: its file (relative to the project directory `root`)
 * exists and compiles; it reads a source, since the runtime gives a stage the batches
 * of a source before any step runs (a stage after another sees elements one by one);
 * and not one the keyed operator re-keys, since the stage that re-keys runs the steps
 * before the operator without batches.
 */
export function validateScriptStages(job: JobGraph, root: string, sink: DiagnosticsSink): void {
  for (const stage of job.stages) {
    const script = stage.script;
    if (!script) continue;
    if (script.file !== undefined) {
      const problem = scriptFileProblem(resolve(root, script.file));
      const at = script.at.file ?? stage.location;
      if (problem) sink.reportAt('SG2202', `script ${script.file} ${problem}`, at);
    }
    const source = job.sources.find((s) => s.name === stage.input);
    if (!source) {
      // an unknown stream is reported as such (SG2002)
      if (streamsOf(job).has(stage.input) || job.keyedStages.some((s) => s.output === stage.input))
        sink.reportAt(
          'SG2205',
          `script stage "${stage.id}" reads "${stage.input}", which is not a source: a script stage reads a source, whose batches cross into its sandbox before any step runs; put it first`,
          stage.at.input,
        );
      continue;
    }
    const op = job.operator;
    const keyed = op && op.kind !== 'async' && !source.partitionedByKey;
    if (keyed && sourceStreams(job, stage.output).includes(operatorStreamOf(job, source.name))) {
      sink.reportAt(
        'SG2205',
        `script stage "${stage.id}" is on the way from source "${source.name}" to the keyed operator, which re-keys it on Kafka in a stage that runs steps one element at a time: mark the source partitionedByKey (its topic keyed as the operator keys it)`,
        stage.at.input,
      );
    }
  }
}

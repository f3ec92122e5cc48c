import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { didYouMean } from '../analyze/near-name';
import type { ChainStageNode, JobGraph } from '../model/job-graph';
import {
  keyedOutputs,
  outputStream,
  sourceOfStream,
  sourceStreams,
  stagesAfterKeyedStages,
  stagesAfterOperator,
  streamSinks,
  streamsOf,
} from '../model/streams';
import { list } from './name-list';

/**
 * The chain stages must chain from the sources: every input written by a source or a
 * stage (or a keyed stage, for the chain stages after it), every output written once
 * and read (by a stage, the operator or a keyed stage; in a job without an operator, and
 * after the last keyed stage, the last stage of a chain feeds the job's output), no
 * cycle. Their ids are checked with the keyed stages' (validateStageIds).
 */
export function validateStages(job: JobGraph, sink: DiagnosticsSink): void {
  if (job.stages.length === 0) return;
  const sources = new Set(job.sources.map((s) => s.name));
  const fromOperator = outputStream(job);
  const written = new Map<string, ChainStageNode>();
  for (const stage of job.stages) {
    if (sources.has(stage.output) || written.has(stage.output) || stage.output === fromOperator) {
      const first = sources.has(stage.output)
        ? 'a source'
        : stage.output === fromOperator
          ? 'the operator'
          : `stage "${written.get(stage.output)?.id}"`;
      sink.reportAt(
        'SG2002',
        `stream "${stage.output}" is written twice: by ${first} and by stage "${stage.id}"`,
        stage.at.output,
      );
    } else written.set(stage.output, stage);
  }
  // a chain stage may also read a keyed stage's output: it runs in that stage's tasks
  const streams = new Set([...streamsOf(job), ...keyedOutputs(job)]);
  const readers = new Map<string, ChainStageNode>();
  const fromSources = new Set(job.sources.flatMap((s) => sourceStreams(job, s.name)));
  for (const stage of job.stages) {
    if (!streams.has(stage.input)) {
      sink.reportAt(
        'SG2002',
        `stage "${stage.id}" reads stream "${stage.input}", which nothing writes (sources and stage outputs: ${list(streams)})${didYouMean(stage.input, streams)}`,
        stage.at.input,
      );
    }
    const other = readers.get(stage.input);
    if (other && !fromSources.has(stage.input)) {
      sink.reportAt(
        'SG2002',
        `stream "${stage.input}" is read by stages "${other.id}" and "${stage.id}"; after the operator or a keyed stage a stream feeds one stage (streams of the sources' stages may feed several)`,
        stage.at.input,
      );
    } else if (!other) readers.set(stage.input, stage);
  }
  for (const stage of job.stages) {
    if (
      streams.has(stage.input) &&
      sourceOfStream(job, stage.input, { keyed: true }) === undefined
    ) {
      sink.reportAt(
        'SG2002',
        `stage "${stage.id}" is in a cycle: no source feeds stream "${stage.input}"`,
        stage.at.input,
      );
    }
  }
  const operatorInputs = new Set(job.operator?.inputs ?? []);
  const sinks = new Set(job.sinks.map((s) => s.name));
  const after = stagesAfterOperator(job);
  const last = after.at(-1);
  const keyedReads = job.keyedStages.some((s) => s.input === last?.output);
  if (last && !readers.has(last.output) && !keyedReads && !sinks.has(last.output)) {
    sink.reportAt(
      'SG1602',
      `stream "${last.output}" of stage "${last.id}" is the operator's main output after its stages, but no sink is named "${last.output}" (declared sinks: ${list(sinks)})${didYouMean(last.output, sinks, `; add @Sink('${last.output}')`)}`,
      last.at.output,
    );
  }
  // what the last keyed stage emits ends in the job's main output, through these
  const final = stagesAfterKeyedStages(job).at(-1);
  for (const stage of job.stages) {
    // a keyed stage reading it, or one it follows, is checked with the keyed stages
    const keyed = job.keyedStages.some((s) => s.input === stage.output || s.output === stage.input);
    const read =
      readers.has(stage.output) ||
      operatorInputs.has(stage.output) ||
      !job.operator ||
      stage === last ||
      stage === final ||
      keyed ||
      streamSinks(job).some(([stream]) => stream === stage.output);
    if (!read) {
      sink.reportAt(
        'SG2002',
        `stream "${stage.output}" of stage "${stage.id}" is written but never read: its elements would be dropped; read it in the operator or in another stage, or copy it with @Sink('<name>', { stream: '${stage.output}' })`,
        stage.at.output,
      );
    }
  }
}

import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { didYouMean } from '../analyze/near-name';
import type { ChainStageNode, JobGraph } from '../model/job-graph';
import { list } from './validate-jobs';

/** The source a stream comes from: itself, or the source at the start of its chain of stages. */
export function sourceOfStream(job: JobGraph, stream: string): string | undefined {
  const seen = new Set<string>();
  for (let current = stream; !seen.has(current);) {
    seen.add(current);
    if (job.sources.some((s) => s.name === current)) return current;
    const writer = job.stages.find((s) => s.output === current);
    if (!writer) return undefined;
    current = writer.input;
  }
  return undefined; // a cycle, reported by validateStages
}

/** Every stream name the job has: its sources and its stages' outputs. */
export const streamsOf = (job: JobGraph): Set<string> =>
  new Set([...job.sources.map((s) => s.name), ...job.stages.map((s) => s.output)]);

/**
 * The stages must chain from the sources: ids unique, every input written by a source
 * or a stage, every output written once and read (by a stage or the operator; in a job
 * without an operator the last stage of a chain feeds the job's output), no cycle.
 */
export function validateStages(job: JobGraph, sink: DiagnosticsSink): void {
  if (job.stages.length === 0) return;
  const ids = new Map<string, ChainStageNode>();
  for (const stage of job.stages) {
    const first = ids.get(stage.id);
    if (first) {
      sink.reportAt(
        'SG2001',
        `stage id "${stage.id}" is used by ${first.className} and ${stage.className}; stage ids name state and outputs, so each must be unique`,
        stage.at.id,
      );
    } else ids.set(stage.id, stage);
  }
  const sources = new Set(job.sources.map((s) => s.name));
  const written = new Map<string, ChainStageNode>();
  for (const stage of job.stages) {
    if (sources.has(stage.output) || written.has(stage.output)) {
      sink.reportAt(
        'SG2002',
        `stream "${stage.output}" is written twice: by ${sources.has(stage.output) ? 'a source' : `stage "${written.get(stage.output)?.id}"`} and by stage "${stage.id}"`,
        stage.at.output,
      );
    } else written.set(stage.output, stage);
  }
  const streams = streamsOf(job);
  const readers = new Map<string, ChainStageNode>();
  for (const stage of job.stages) {
    if (!streams.has(stage.input)) {
      sink.reportAt(
        'SG2002',
        `stage "${stage.id}" reads stream "${stage.input}", which nothing writes (sources and stage outputs: ${list(streams)})${didYouMean(stage.input, streams)}`,
        stage.at.input,
      );
    }
    const other = readers.get(stage.input);
    if (other) {
      sink.reportAt(
        'SG2002',
        `stream "${stage.input}" is read by stages "${other.id}" and "${stage.id}"; a stream feeds one stage for now`,
        stage.at.input,
      );
    } else readers.set(stage.input, stage);
  }
  for (const stage of job.stages) {
    if (streams.has(stage.input) && sourceOfStream(job, stage.input) === undefined) {
      sink.reportAt(
        'SG2002',
        `stage "${stage.id}" is in a cycle: no source feeds stream "${stage.input}"`,
        stage.at.input,
      );
    }
  }
  const operatorInputs = new Set(job.operator?.inputs ?? []);
  for (const stage of job.stages) {
    const read = readers.has(stage.output) || operatorInputs.has(stage.output) || !job.operator;
    if (!read) {
      sink.reportAt(
        'SG2002',
        `stream "${stage.output}" of stage "${stage.id}" is written but never read: its elements would be dropped; read it in the operator or in another stage`,
        stage.at.output,
      );
    }
  }
}

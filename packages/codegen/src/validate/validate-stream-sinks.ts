import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { didYouMean } from '../analyze/near-name';
import type { JobGraph, SinkNode } from '../model/job-graph';
import { mainOutputSink, outputTrees, sourceStreams } from '../model/streams';
import { list } from './name-list';

/**
 * A sink that copies a stream (`@Sink(name, { stream })`, fan-out) copies one the
 * runtime's `outputs.streams` can: a source or a chain stage's output before the
 * operator, a stream a keyed stage reads, or any stream of the stages after the operator
 * or a keyed stage (the stream it writes and each branch's); one sink per stream, and a sink of its own, not the main
 * output's, a side output's or the dead letters' (SG2006): the streams would mix in it.
 */
export function validateStreamSinks(job: JobGraph, sink: DiagnosticsSink): void {
  const copyable = [
    ...new Set([
      ...job.sources.flatMap((s) => sourceStreams(job, s.name)),
      ...outputTrees(job).flatMap((t) => t.streams),
      ...job.keyedStages.map((s) => s.input),
    ]),
  ];
  const copied = new Map<string, string>();
  for (const target of job.sinks) {
    const stream = target.stream;
    if (stream === undefined) continue;
    const at = target.at?.stream ?? target.location;
    if (!copyable.includes(stream)) {
      sink.reportAt(
        'SG2006',
        `sink "${target.name}" copies stream "${stream}", which it cannot: a sink can copy a source, a stage's output, a stream a keyed stage reads, or the stream the operator or a keyed stage writes for stages to read (job ${job.name}: ${list(copyable)})${didYouMean(stream, copyable)}`,
        at,
      );
      continue;
    }
    const first = copied.get(stream);
    if (first !== undefined) {
      sink.reportAt(
        'SG2006',
        `stream "${stream}" is copied to sinks "${first}" and "${target.name}"; a stream goes to one sink`,
        at,
      );
    } else copied.set(stream, target.name);
    const role = otherRole(job, target);
    if (role) {
      sink.reportAt(
        'SG2006',
        `sink "${target.name}" copies stream "${stream}" and is also ${role}: the two would mix in one sink; declare another @Sink for the copy`,
        at,
      );
    }
  }
}

/** What else a sink is written with, if anything: the main output, a side output, the dead letters. */
function otherRole(job: JobGraph, target: SinkNode): string | undefined {
  if (target.name === mainOutputSink(job)) return `the main output of job ${job.name}`;
  const routes = [job.operator, ...job.keyedStages.map((s) => s.process)].flatMap((op) =>
    Object.entries(op?.sideOutputs ?? {}),
  );
  const tag = routes.find(([, s]) => s === target.name);
  if (tag) return `the sink of side output "${tag[0]}"`;
  return target.name === job.deadLetters ? "the dead letters' sink" : undefined;
}

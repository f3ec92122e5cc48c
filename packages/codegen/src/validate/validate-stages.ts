import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { didYouMean } from '../analyze/near-name';
import type { ChainStageNode, JobGraph } from '../model/job-graph';
import {
  keyedOutputs,
  outputStream,
  outputTrees,
  sourceOfStream,
  streamSinks,
  streamsOf,
  type OutputTree,
} from '../model/streams';
import { list } from './name-list';

/**
 * The chain stages must chain from the sources: every input written by a source or a
 * stage (or the operator or a keyed stage, for the chain stages after it), every output
 * written once and read (by a stage, the operator or a keyed stage; in a job without an
 * operator the ends of the chains feed the job's output), no cycle. A stream may feed
 * several stages; after the operator or a keyed stage they form a tree whose leaves are
 * checked by validateOutputTrees. Their ids are checked with the keyed stages'
 * (validateStageIds).
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
  for (const stage of job.stages) {
    if (!streams.has(stage.input)) {
      sink.reportAt(
        'SG2002',
        `stage "${stage.id}" reads stream "${stage.input}", which nothing writes (sources and stage outputs: ${list(streams)})${didYouMean(stage.input, streams)}`,
        stage.at.input,
      );
    }
    // a stream may feed several stages: the branches after the operator or a keyed
    // stage are checked as trees (validateOutputTrees)
    if (!readers.has(stage.input)) readers.set(stage.input, stage);
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
  const trees = outputTrees(job);
  validateOutputTrees(job, trees, sink);
  const inTrees = new Set(trees.flatMap((t) => t.stages));
  for (const stage of job.stages) {
    if (inTrees.has(stage)) continue;
    // a keyed stage reading it, or one it follows, is checked with the keyed stages
    const keyed = job.keyedStages.some((s) => s.input === stage.output || s.output === stage.input);
    const read =
      readers.has(stage.output) ||
      operatorInputs.has(stage.output) ||
      !job.operator ||
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

/**
 * The chain stages after the operator, or after a keyed stage, form a tree from the
 * stream it writes; each leaf goes to the next keyed stage (one branch at most, checked
 * with the keyed stages), or, when none follows, to the job's main output (one leaf at
 * most: the one no sink copies), or to the sink that copies it (SG2002). After the
 * operator of a job without keyed stages, the main leaf names the main output's sink
 * (SG1602).
 */
function validateOutputTrees(
  job: JobGraph,
  trees: readonly OutputTree[],
  sink: DiagnosticsSink,
): void {
  const sinks = new Set(job.sinks.map((s) => s.name));
  const copied = new Set(streamSinks(job).map(([stream]) => stream));
  const keyedReads = new Set(job.keyedStages.map((s) => s.input));
  for (const tree of trees) {
    if (tree.stages.length === 0) continue;
    const writerOf = (stream: string) => tree.stages.find((s) => s.output === stream);
    const after = tree.writer ? `keyed stage "${tree.writer.id}"` : 'the operator';
    const next = tree.next;
    if (next) {
      for (const leaf of tree.leaves) {
        const stage = writerOf(leaf);
        if (!stage || copied.has(leaf) || keyedReads.has(leaf)) continue;
        sink.reportAt(
          'SG2002',
          `stream "${leaf}" of stage "${stage.id}" is written but never read: its elements would be dropped; after ${after} the branch through "${next.input}" goes on to keyed stage "${next.id}", and the others go to sinks: read "${leaf}" in another stage, or copy it with @Sink('<name>', { stream: '${leaf}' })`,
          stage.at.output,
        );
      }
      continue;
    }
    const mains = tree.mains.flatMap((leaf) => {
      const stage = writerOf(leaf);
      return stage ? [stage] : [];
    });
    if (mains.length > 1) {
      const named = mains.map((s) => `"${s.output}" (stage "${s.id}")`);
      const all = mains.length === 2 ? 'both' : 'all';
      sink.reportAt(
        'SG2002',
        `streams ${named.slice(0, -1).join(', ')} and ${named.at(-1)} would ${all} be the main output of job ${job.name}: after ${after} the one branch no sink copies goes to the main output; copy all but one with @Sink(name, { stream }), like @Sink('<name>', { stream: '${mains[1].output}' })`,
        mains[1].at.output,
      );
    } else if (mains.length === 1 && !tree.writer && job.keyedStages.length === 0) {
      const main = mains[0];
      if (sinks.has(main.output)) continue;
      sink.reportAt(
        'SG1602',
        `stream "${main.output}" of stage "${main.id}" is the operator's main output after its stages, but no sink is named "${main.output}" (declared sinks: ${list(sinks)})${didYouMean(main.output, sinks, `; add @Sink('${main.output}')`)}`,
        main.at.output,
      );
    }
  }
}

import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { didYouMean } from '../analyze/near-name';
import type { JobGraph, KeyedStageNode, OperatorNode } from '../model/job-graph';
import { keyOrigin, keyedStagesInOrder, outputTrees, treeFrom, treeLeaves } from '../model/streams';
import { list } from './name-list';
import { checkInputHandler, checkTimersAndState, operatorDecorator } from './validate-operator';

/**
 * Keyed stages follow the operator in one line, as the runtime runs them: the first
 * reads a branch of the stages after the operator (or its output stream), each next one
 * a branch after the one before, or its output (SG2004); one branch of those stages
 * leads to the next keyed stage, a stream is written once, a keyed stage reads one no
 * other stage reads, and a keyed stage's output is read (SG2002). Each stage is a keyed function checked as the operator is:
 * one handler with its @KeyBy (none with `sameKey`, which needs a key to keep: SG2007),
 * one timer per time domain, state names unique.
 */
export function validateKeyedStages(job: JobGraph, sink: DiagnosticsSink): void {
  if (job.keyedStages.length === 0) return;
  const misplaced = job.operator ? checkStreams(job, job.operator, sink) : new Set(job.keyedStages);
  for (const stage of job.keyedStages) {
    const inputAt = stage.process.at.inputs[0] ?? stage.location;
    if (!job.operator) {
      sink.reportAt(
        'SG2004',
        `keyed stage "${stage.id}" follows the job's operator, but job ${job.name} has none: add @KeyedProcess({ input, output: '${stage.input}' }) to ${job.className}`,
        inputAt,
      );
    }
    checkTimersAndState(stage.process, sink);
    // a handler of the stream the stage should read is the input's fault, reported
    if (misplaced.has(stage)) continue;
    checkInputHandler(stage.process, stage.input, `keyed stage "${stage.id}"`, inputAt, sink, {
      sameKey: stage.sameKey,
    });
    if (stage.sameKey) checkSameKey(job, stage, sink);
    for (const handler of stage.process.handlers.filter((h) => h.source !== stage.input)) {
      sink.reportAt(
        'SG1103',
        `@ProcessElement('${handler.source}') reads a stream that is not the input of keyed stage "${stage.id}" ("${stage.input}")`,
        handler.location,
      );
    }
  }
}

/**
 * A `sameKey` stage reads under the key its input was emitted with: the stage it reads
 * from needs one (SG2007), which an @AsyncEnrich operator has not.
 */
function checkSameKey(job: JobGraph, stage: KeyedStageNode, sink: DiagnosticsSink): void {
  const origin = keyOrigin(job, stage);
  if (!origin || 'process' in origin || origin.kind !== 'async') return;
  sink.reportAt(
    'SG2007',
    `keyed stage "${stage.id}" has sameKey: true, but the stream it reads ("${stage.input}") comes from the @AsyncEnrich operator, which has no key: remove sameKey and key the stage with @KeyBy on its handler (through a repartition)`,
    stage.at.sameKey ?? stage.location,
  );
}

/** Where the keyed stages read and write (SG2002, SG2004); the stages whose input is wrong. */
function checkStreams(job: JobGraph, op: OperatorNode, sink: DiagnosticsSink): Set<KeyedStageNode> {
  const misplaced = new Set<KeyedStageNode>();
  const writers = new Map<string, string>([
    ...job.sources.map((s) => [s.name, `source "${s.name}"`] as const),
    ...job.stages.map((s) => [s.output, `stage "${s.id}"`] as const),
    ...(op.output === undefined ? [] : [[op.output, 'the operator'] as const]),
  ]);
  for (const stage of job.keyedStages) {
    if (stage.output === undefined) continue;
    const first = writers.get(stage.output);
    if (first === undefined) writers.set(stage.output, `keyed stage "${stage.id}"`);
    else {
      sink.reportAt(
        'SG2002',
        `stream "${stage.output}" is written twice: by ${first} and by keyed stage "${stage.id}"`,
        stage.process.at.output ?? stage.location,
      );
    }
  }
  const readers = new Map(job.stages.map((s) => [s.input, s.id]));
  const ordered = keyedStagesInOrder(job);
  const expected = [
    ...new Set([
      ...(op.output === undefined ? [] : treeLeaves(job, op.output)),
      ...job.keyedStages.flatMap((s) => (s.output === undefined ? [] : treeLeaves(job, s.output))),
    ]),
  ];
  const trees = outputTrees(job);
  for (const stage of job.keyedStages) {
    const inputAt = stage.process.at.inputs[0] ?? stage.location;
    const other = readers.get(stage.input);
    if (other !== undefined) {
      sink.reportAt(
        'SG2002',
        `stream "${stage.input}" is read by stages "${other}" and "${stage.id}"; a keyed stage reads a stream no other stage reads: the end of a branch of the stages after the operator or a keyed stage`,
        inputAt,
      );
      misplaced.add(stage);
      continue;
    }
    readers.set(stage.input, stage.id);
    if (ordered.includes(stage)) continue;
    misplaced.add(stage);
    // another branch of the same stages already leads to the next keyed stage
    const tree = trees.find((t) => t.next && t.next !== stage && t.streams.includes(stage.input));
    if (tree?.next) {
      const after = tree.writer ? `keyed stage "${tree.writer.id}"` : 'the operator';
      sink.reportAt(
        'SG2002',
        `streams "${tree.next.input}" and "${stage.input}" of the stages after ${after} lead to keyed stages "${tree.next.id}" and "${stage.id}"; one branch leads to the next keyed stage: read the output of "${tree.next.id}" in "${stage.id}", or copy "${stage.input}" to a sink with @Sink('<name>', { stream: '${stage.input}' }) instead`,
        inputAt,
      );
      continue;
    }
    const writer = job.keyedStages.find(
      (s) => s.output !== undefined && treeFrom(job, s.output, s).streams.includes(stage.input),
    );
    sink.reportAt(
      'SG2004',
      op.output === undefined
        ? `keyed stage "${stage.id}" reads stream "${stage.input}", but the job's operator names no output stream: give its @${operatorDecorator(op)} output: '${stage.input}'`
        : writer
          ? `keyed stage "${stage.id}" reads stream "${stage.input}" of keyed stage "${writer.id}", which the operator's main output does not reach`
          : `keyed stage "${stage.id}" reads stream "${stage.input}", which is neither the operator's main output nor a keyed stage's (they write ${list(expected)})${didYouMean(stage.input, expected)}`,
      inputAt,
    );
  }
  for (const stage of job.keyedStages) {
    const output = stage.output;
    if (output === undefined || readers.has(output)) continue;
    sink.reportAt(
      'SG2002',
      `stream "${output}" of keyed stage "${stage.id}" is written but never read: the last keyed stage's emissions are the job's main output; remove output, or read "${output}" in a keyed or chain stage`,
      stage.process.at.output ?? stage.location,
    );
  }
  return misplaced;
}

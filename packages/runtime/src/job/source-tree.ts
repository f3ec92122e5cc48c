import type { ChainStageSpec, JobSpec } from './job-spec';

/**
 * A stream of the stateless stages a source feeds, before the operator: the source
 * itself or a chain stage's output. A stream may feed several stages (fan-out); each
 * branch ends in the operator, the main output (a job without operator) or a sink that
 * copies it (`outputs.streams`).
 */
export interface StreamNode {
  readonly stream: string;
  /** What the operator reads (in a job without one: what goes to the main output). */
  readonly main: boolean;
  /** The sink that gets a copy of the stream, if any. */
  readonly sink?: string;
  /** The stages that read it, each with the stream it writes. */
  readonly next: ReadonlyArray<{ readonly stage: ChainStageSpec; readonly node: StreamNode }>;
}

/** Names of the streams the operator reads, in input order (empty when stateless). */
export function operatorInputs(job: JobSpec): readonly string[] {
  const op = job.operator;
  if (!op) return [];
  return op.kind === 'coProcess' || op.kind === 'union' ? op.inputs : [op.input];
}

/** The chain stages that read each stream. */
export function readersOf(job: JobSpec): Map<string, ChainStageSpec[]> {
  const readers = new Map<string, ChainStageSpec[]>();
  for (const stage of job.stages ?? []) {
    readers.set(stage.input, [...(readers.get(stage.input) ?? []), stage]);
  }
  return readers;
}

/**
 * The streams and stages an element of `source` flows through. A stream is main when
 * the operator reads it; in a job without an operator, when it ends a branch and no
 * sink copies it. Streams are visited once, so a cycle (reported by `chainProblems`)
 * cannot loop.
 */
export function sourceTree(job: JobSpec, source: string): StreamNode {
  const inputs = new Set(operatorInputs(job));
  return streamTree(job, source, new Set(), (stream, leaf) =>
    job.operator ? inputs.has(stream) : leaf,
  );
}

/**
 * The streams and stages what `root` carries flows through after the operator or a
 * keyed stage (`root` is what it writes), up to the stream a keyed stage reads. A stream
 * is main when a keyed stage reads it; when none does, the one branch end no sink copies
 * is (the main output). Any of them may be copied to a sink (fan-out).
 */
export function outputTree(job: JobSpec, root: string): StreamNode {
  const keyedInputs = new Set((job.keyedStages ?? []).map((s) => s.input));
  const feedsStage = keyedInputs.size > 0 && hasKeyedInput(job, root, keyedInputs);
  return streamTree(job, root, keyedInputs, (stream, leaf) =>
    feedsStage ? keyedInputs.has(stream) : leaf,
  );
}

/** Whether a keyed stage reads a stream of the tree from `root`. */
function hasKeyedInput(job: JobSpec, root: string, keyedInputs: ReadonlySet<string>): boolean {
  const tree = streamTree(job, root, keyedInputs, () => false);
  return streamsOfTree(tree).some((n) => keyedInputs.has(n.stream));
}

/**
 * The tree of chain stages from `root`, not past the streams in `stops`. `isMain` gets
 * each stream and whether it ends a branch without a copy. Streams are visited once,
 * so a cycle (reported by `chainProblems`) cannot loop.
 */
function streamTree(
  job: JobSpec,
  root: string,
  stops: ReadonlySet<string>,
  isMain: (stream: string, uncopiedLeaf: boolean) => boolean,
): StreamNode {
  const readers = readersOf(job);
  const copies = job.outputs.streams ?? {};
  const seen = new Set<string>();
  const node = (stream: string): StreamNode => {
    seen.add(stream);
    const next = (stops.has(stream) ? [] : (readers.get(stream) ?? []))
      .filter((stage) => !seen.has(stage.output))
      .map((stage) => ({ stage, node: node(stage.output) }));
    const main = isMain(stream, next.length === 0 && copies[stream] === undefined);
    return { stream, main, sink: copies[stream], next };
  };
  return node(root);
}

/** Every chain stage of a tree, from its root, depth first. */
export function stagesOfTree(tree: StreamNode): ChainStageSpec[] {
  return tree.next.flatMap((edge) => [edge.stage, ...stagesOfTree(edge.node)]);
}

/** Every stream of a tree, from its root, depth first. */
export function streamsOfTree(tree: StreamNode): StreamNode[] {
  return [tree, ...tree.next.flatMap((edge) => streamsOfTree(edge.node))];
}

/** The stages from the root to the first main stream, and that stream; undefined when none is. */
export function pathToMain(
  tree: StreamNode,
): { readonly stages: ChainStageSpec[]; readonly stream: string } | undefined {
  if (tree.main) return { stages: [], stream: tree.stream };
  for (const edge of tree.next) {
    const found = pathToMain(edge.node);
    if (found) return { stages: [edge.stage, ...found.stages], stream: found.stream };
  }
  return undefined;
}

/**
 * What is wrong with the branches of the source trees: a stage output that nothing
 * reads or copies (its elements would be dropped), and a source whose branches reach
 * two inputs of the operator.
 */
export function fanOutProblems(job: JobSpec): string[] {
  if ((job.stages ?? []).length === 0) return [];
  const problems: string[] = [];
  const writer = new Map((job.stages ?? []).map((s) => [s.output, s]));
  for (const source of job.sources) {
    const streams = streamsOfTree(sourceTree(job, source.name));
    for (const node of streams) {
      const stage = writer.get(node.stream);
      if (stage && !node.main && node.sink === undefined && node.next.length === 0) {
        problems.push(
          `stream "${node.stream}" of stage "${stage.id}" is written but never read: read it in the operator or a stage, or copy it to a sink (outputs.streams)`,
        );
      }
    }
    const mains = streams.filter((n) => n.main).map((n) => n.stream);
    if (job.operator && mains.length > 1) {
      problems.push(
        `source "${source.name}" reaches operator inputs ${mains.map((m) => `"${m}"`).join(' and ')}; the elements of one source feed one input`,
      );
    }
  }
  return problems;
}

/**
 * What is wrong with the branches after the operator and each keyed stage: a branch
 * end nothing reads or copies, two branches into keyed stages, two into the main
 * output, or a stream a keyed stage reads that chain stages read too.
 */
export function outputFanOutProblems(job: JobSpec): string[] {
  const problems: string[] = [];
  const keyed = job.keyedStages ?? [];
  const keyedInputs = new Set(keyed.map((s) => s.input));
  const roots = [
    ...(job.operator?.output !== undefined
      ? [{ stream: job.operator.output, by: `operator "${job.operator.name}"` }]
      : []),
    ...keyed.flatMap((s) =>
      s.output !== undefined ? [{ stream: s.output, by: `keyed stage "${s.id}"` }] : [],
    ),
  ];
  const readers = readersOf(job);
  for (const stage of keyed) {
    const chains = readers.get(stage.input) ?? [];
    if (chains.length > 0) {
      problems.push(
        `keyed stage "${stage.id}" reads "${stage.input}", which stage ${chains.map((c) => `"${c.id}"`).join(' and ')} reads too: a keyed stage reads where the chain after the stage before it ends (${chains.map((c) => `"${c.output}"`).join(', ')} or further)`,
      );
    }
  }
  for (const root of roots) {
    const nodes = streamsOfTree(outputTree(job, root.stream));
    const mains = nodes.filter((n) => n.main).map((n) => n.stream);
    const intoStage = nodes.some((n) => keyedInputs.has(n.stream));
    if (mains.length > 1) {
      problems.push(
        intoStage
          ? `the streams after ${root.by} reach keyed stage inputs ${mains.map((m) => `"${m}"`).join(' and ')}; one branch feeds the next keyed stage, the others end in sinks (outputs.streams)`
          : `the streams after ${root.by} end in the main output twice (${mains.map((m) => `"${m}"`).join(' and ')}); copy all but one to a sink (outputs.streams)`,
      );
    }
    for (const node of nodes) {
      if (intoStage && !node.main && node.sink === undefined && node.next.length === 0) {
        problems.push(
          `stream "${node.stream}" after ${root.by} is written but never read: read it in the next keyed stage, or copy it to a sink (outputs.streams)`,
        );
      }
    }
  }
  return problems;
}

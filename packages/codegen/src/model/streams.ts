import type { ChainStageNode, JobGraph, KeyedStageNode, OperatorNode } from './job-graph';

/** The operator's output when stages read it (it is a stream then, not a sink). */
export function outputStream(job: JobGraph): string | undefined {
  const output = job.operator?.output;
  const reads = (stage: { readonly input: string }) => stage.input === output;
  return output !== undefined && (job.stages.some(reads) || job.keyedStages.some(reads))
    ? output
    : undefined;
}

/**
 * Where a stream starts: a source (itself, or the source at the start of its chain of
 * stages), or the operator's output for the stages after the operator; with
 * `keyed`, also a keyed stage's output for the chain stages after that stage.
 */
export function sourceOfStream(
  job: JobGraph,
  stream: string,
  options: { readonly keyed?: boolean } = {},
): string | undefined {
  const fromOperator = outputStream(job);
  const roots = new Set(options.keyed ? keyedOutputs(job) : []);
  const seen = new Set<string>();
  for (let current = stream; !seen.has(current);) {
    seen.add(current);
    if (job.sources.some((s) => s.name === current) || current === fromOperator) return current;
    if (roots.has(current)) return current;
    const writer = job.stages.find((s) => s.output === current);
    if (!writer) return undefined;
    current = writer.input;
  }
  return undefined; // a cycle, reported by validateStages
}

/**
 * The chain stages after the operator or a keyed stage, from the stream it writes (the
 * root): they form a tree (a stream may feed several stages), each leaf of which goes
 * to the next keyed stage (one leaf at most), or, when no keyed stage follows, to the
 * job's main output (the one leaf no sink copies), or to a sink that copies it
 * (`@Sink(name, { stream })`); any stream of the tree may be copied.
 */
export interface OutputTree {
  /** The stream the operator or a keyed stage writes, which stages read. */
  readonly root: string;
  /** The keyed stage that writes `root`; undefined for the operator. */
  readonly writer?: KeyedStageNode;
  /** The chain stages of the tree, from the root, breadth first. */
  readonly stages: readonly ChainStageNode[];
  /** Every stream of the tree: the root, then the stages' outputs in their order. */
  readonly streams: readonly string[];
  /** The streams no chain stage reads, in the order of `streams` (the root when none reads it). */
  readonly leaves: readonly string[];
  /**
   * The keyed stage that reads a stream of the tree: the first listed reading a leaf
   * when several do, else the first reading another of its streams.
   */
  readonly next?: KeyedStageNode;
  /**
   * The leaves that go to the job's main output, when no keyed stage follows: those no
   * sink copies (one in a valid job; empty when a keyed stage follows).
   */
  readonly mains: readonly string[];
}

/** The tree of chain stages from `root` (streams visited once: a cycle cannot loop). */
export function treeFrom(job: JobGraph, root: string, writer?: KeyedStageNode): OutputTree {
  const streams = [root];
  const stages: ChainStageNode[] = [];
  for (let i = 0; i < streams.length; i++) {
    for (const stage of job.stages.filter((s) => s.input === streams[i])) {
      if (streams.includes(stage.output) || stages.includes(stage)) continue;
      stages.push(stage);
      streams.push(stage.output);
    }
  }
  const read = new Set(stages.map((s) => s.input));
  const leaves = streams.filter((s) => !read.has(s));
  // a keyed stage reads the end of a branch; one reading a stream chains read too is
  // next only when none reads an end (reported as SG2002 either way)
  const reads = (within: readonly string[]) =>
    job.keyedStages.find((s) => s !== writer && within.includes(s.input));
  const next = reads(leaves) ?? reads(streams);
  const copied = new Set(streamSinks(job).map(([stream]) => stream));
  const mains = next ? [] : leaves.filter((s) => !copied.has(s));
  return { root, writer, stages, streams, leaves, next, mains };
}

/**
 * The trees of chain stages after the operator and after each keyed stage in stream
 * order (see {@link OutputTree}), for the roots chain or keyed stages read: the
 * operator's output stream first.
 */
export function outputTrees(job: JobGraph): OutputTree[] {
  const trees: OutputTree[] = [];
  const start = outputStream(job);
  if (start === undefined) return trees;
  trees.push(treeFrom(job, start));
  for (const stage of keyedStagesInOrder(job)) {
    if (stage.output !== undefined) trees.push(treeFrom(job, stage.output, stage));
  }
  return trees;
}

/** The stages reading `stream`, the first one's output, and so on (one branch). */
function chainFrom(job: JobGraph, stream: string | undefined): ChainStageNode[] {
  const chain: ChainStageNode[] = [];
  for (let next = job.stages.find((s) => s.input === stream); next && !chain.includes(next);) {
    chain.push(next);
    next = job.stages.find((s) => s.input === next?.output);
  }
  return chain;
}

/** The keyed stages a stream flows through, in order from the operator's output stream. */
export function keyedStagesInOrder(job: JobGraph): KeyedStageNode[] {
  const ordered: KeyedStageNode[] = [];
  const start = outputStream(job);
  if (start === undefined) return ordered;
  for (let tree: OutputTree | undefined = treeFrom(job, start); tree?.next;) {
    const next: KeyedStageNode = tree.next;
    if (ordered.includes(next)) break;
    ordered.push(next);
    tree = next.output === undefined ? undefined : treeFrom(job, next.output, next);
  }
  return ordered;
}

/**
 * What keys the stream a keyed stage reads: the stage itself (its handler's `@KeyBy`),
 * or with `sameKey` the stage it reads from (the keyed stage before it in stream order,
 * or the operator), through any `sameKey` stages between. Undefined for a stage that
 * does not follow the operator (reported as SG2004).
 */
export function keyOrigin(
  job: JobGraph,
  stage: KeyedStageNode,
): KeyedStageNode | OperatorNode | undefined {
  const ordered = keyedStagesInOrder(job);
  for (let i = ordered.indexOf(stage); i >= 0; i--) {
    if (!ordered[i].sameKey) return ordered[i];
  }
  return ordered.includes(stage) ? job.operator : undefined;
}

/**
 * The key type of the elements a keyed stage reads (`string`, `number` or
 * `number | string`, as `HandlerNode.keyType`): its handler's `@KeyBy`'s, or with
 * `sameKey` that of the stage it reads from (the operator's first keyed input's when
 * that is the operator). Undefined when it is unknown or there is no key (an
 * `@AsyncEnrich` operator).
 */
export function stageKeyType(job: JobGraph, stage: KeyedStageNode): string | undefined {
  const origin = keyOrigin(job, stage);
  if (!origin) return undefined;
  const handlers = 'process' in origin ? origin.process.handlers : origin.handlers;
  const inputs = 'process' in origin ? [origin.input] : origin.inputs;
  return inputs
    .map((input) => handlers.find((h) => h.source === input && h.key)?.keyType)
    .find((type) => type !== undefined);
}

/** The outputs keyed stages name: streams read by the next keyed stage or by chain stages. */
export function keyedOutputs(job: JobGraph): string[] {
  return job.keyedStages.flatMap((s) => (s.output === undefined ? [] : [s.output]));
}

/**
 * The sink of the job's main output: the output of the main leaf of the stages after
 * the operator (the one leaf no sink copies) when it has stages, else the operator's
 * `output`; `@StreamJob({ output })` (or the only sink left) when no operator names it:
 * in a job without an operator, or with keyed stages. Undefined when the operator's
 * stages have no single main leaf: two (reported as SG2002), or none when a sink copies
 * every branch.
 */
export function mainOutputSink(job: JobGraph): string | undefined {
  if (!job.operator || job.keyedStages.length > 0) return job.output;
  const start = outputStream(job);
  if (start === undefined) return job.operator.output;
  const mains = treeFrom(job, start).mains;
  return mains.length === 1 ? mains[0] : undefined;
}

/** The streams of the tree of stages from `stream` that no stage reads (itself when none does). */
export function treeLeaves(job: JobGraph, stream: string): readonly string[] {
  return treeFrom(job, stream).leaves;
}

/** The stream `stream` ends in: the end of the first branch of stages from it, or itself. */
export function chainEnd(job: JobGraph, stream: string): string {
  return chainFrom(job, stream).at(-1)?.output ?? stream;
}

/** Every stream name the job has: its sources, its stages' outputs, the operator's output. */
export function streamsOf(job: JobGraph): Set<string> {
  const fromOperator = outputStream(job);
  return new Set([
    ...job.sources.map((s) => s.name),
    ...job.stages.map((s) => s.output),
    ...(fromOperator !== undefined ? [fromOperator] : []),
  ]);
}

/**
 * The sinks no other role claims (dead letters, side outputs, a copy of a stream):
 * where a main output that no decorator names may go, when there is one only.
 */
export function unclaimedSinks(
  sinks: ReadonlyArray<{ readonly name: string; readonly stream?: string }>,
  deadLetters: string | undefined,
  sideOutputSinks: Iterable<string> = [],
): string[] {
  const claimed = new Set([deadLetters, ...sideOutputSinks]);
  return sinks.filter((s) => s.stream === undefined && !claimed.has(s.name)).map((s) => s.name);
}

/** The sinks that copy a stream (`@Sink(name, { stream })`), as `[stream, sink]`. */
export function streamSinks(job: JobGraph): Array<[string, string]> {
  return job.sinks.flatMap((s) => (s.stream === undefined ? [] : [[s.stream, s.name]]));
}

/** The sinks of every side output: the operator's and each keyed stage's own. */
export function sideOutputSinks(
  operator: OperatorNode | undefined,
  keyedStages: readonly KeyedStageNode[],
): string[] {
  return [operator, ...keyedStages.map((s) => s.process)].flatMap((op) =>
    Object.values(op?.sideOutputs ?? {}),
  );
}

/**
 * Where a keyed stage's side outputs go, per tag: its own `sideOutputs`, and the
 * operator's for the tags it does not route (as the runtime routes them).
 */
export function stageSideOutputs(
  job: JobGraph,
  stage: KeyedStageNode,
): Readonly<Record<string, string>> {
  return { ...job.operator?.sideOutputs, ...stage.process.sideOutputs };
}

/**
 * The streams of the stages a source feeds, before the operator: the source, and every
 * chain stage output reached from it (a stream may feed several stages).
 */
export function sourceStreams(job: JobGraph, source: string): string[] {
  const streams = [source];
  for (let i = 0; i < streams.length; i++) {
    for (const stage of job.stages.filter((s) => s.input === streams[i])) {
      if (!streams.includes(stage.output)) streams.push(stage.output);
    }
  }
  return streams;
}

/** The stream of `source`'s stages that the operator reads (the source itself when none). */
export function operatorStreamOf(job: JobGraph, source: string): string {
  const inputs = new Set(job.operator?.inputs ?? []);
  return sourceStreams(job, source).find((s) => inputs.has(s)) ?? chainEnd(job, source);
}

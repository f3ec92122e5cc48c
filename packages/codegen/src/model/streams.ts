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

/** The stages reading `stream`, then the one reading its output, and so on. */
function chainFrom(job: JobGraph, stream: string | undefined): ChainStageNode[] {
  const chain: ChainStageNode[] = [];
  for (let next = job.stages.find((s) => s.input === stream); next && !chain.includes(next);) {
    chain.push(next);
    next = job.stages.find((s) => s.input === next?.output);
  }
  return chain;
}

/** The stages after the operator, in order: what it emits goes through them to the sink. */
export function stagesAfterOperator(job: JobGraph): ChainStageNode[] {
  const start = outputStream(job);
  return start === undefined ? [] : chainFrom(job, start);
}

/**
 * The stream the operator's main output ends in, which the first keyed stage reads:
 * its output stream, or the end of the chain stages after it.
 */
export function operatorStreamEnd(job: JobGraph): string | undefined {
  const start = outputStream(job);
  return start === undefined ? undefined : (chainFrom(job, start).at(-1)?.output ?? start);
}

/** The keyed stages a stream flows through, in order from the end of the operator's stream. */
export function keyedStagesInOrder(job: JobGraph): KeyedStageNode[] {
  const ordered: KeyedStageNode[] = [];
  const readerOf = (stream: string | undefined) =>
    stream === undefined ? undefined : job.keyedStages.find((s) => s.input === stream);
  for (let next = readerOf(operatorStreamEnd(job)); next && !ordered.includes(next);) {
    ordered.push(next);
    next = readerOf(next.output === undefined ? undefined : chainEnd(job, next.output));
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
 * The chain stages after the last keyed stage, in order: what it emits goes through
 * them to the job's main output.
 */
export function stagesAfterKeyedStages(job: JobGraph): ChainStageNode[] {
  return chainFrom(job, keyedStagesInOrder(job).at(-1)?.output);
}

/**
 * The sink of the job's main output: the last stage's after the operator when it names
 * one, else the operator's `output`; `@StreamJob({ output })` (or the only sink left)
 * when no operator names it: in a job without an operator, or with keyed stages.
 */
export function mainOutputSink(job: JobGraph): string | undefined {
  if (!job.operator || job.keyedStages.length > 0) return job.output;
  return stagesAfterOperator(job).at(-1)?.output ?? job.operator.output;
}

/** The stream `stream` ends in: the end of the chain of stages that reads it, or itself. */
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

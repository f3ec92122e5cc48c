import type { ChainStageSpec, JobSpec, KeyedStageSpec } from './job-spec';
import {
  outputTree,
  pathToMain,
  readersOf,
  sourceTree,
  stagesOfTree,
  streamsOfTree,
  type StreamNode,
} from './source-tree';

/** The stages an element of one source goes through, and the stream it ends in. */
export interface SourceChain {
  readonly source: string;
  /** In order from the source to `stream`; empty when the source is read directly. */
  readonly stages: readonly ChainStageSpec[];
  /** What the operator (or the main output) reads: the last stage's output, or the source. */
  readonly stream: string;
  /** Every branch of the source's stages (a stream may feed several), with `stages` one of them. */
  readonly tree: StreamNode;
}

/**
 * Plans the stateless stages of a job: each source's tree of stages, fused into the
 * task that reads the source. Throws with every problem at once when the stages do
 * not form chains from the sources (an unknown input, a cycle, a branch that ends
 * nowhere).
 */
export function planChains(job: JobSpec): SourceChain[] {
  const problems = chainProblems(job);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return job.sources.map((source) => {
    const tree = sourceTree(job, source.name);
    const path = pathToMain(tree) ?? { stages: [], stream: source.name };
    return { source: source.name, ...path, tree };
  });
}

/**
 * The keyed stages fused after the operator (`sameKey`, run in its tasks): the job's
 * keyed stages up to the first one keyed anew. In a segment's job, all of them.
 */
export function fusedStagesOf(job: JobSpec): KeyedStageSpec[] {
  const stages = job.keyedStages ?? [];
  const anew = stages.findIndex((s) => s.sameKey !== true);
  return anew < 0 ? [...stages] : stages.slice(0, anew);
}

/**
 * The stages after the operator (after its fused keyed stages, when it has some), in
 * order from that `output` stream: what it emits goes through them before the main
 * output's sink.
 */
export function planOutputChain(job: JobSpec): ChainStageSpec[] {
  const root = keyedOutputOf(job);
  return root === undefined ? [] : stagesOfTree(outputTree(job, root));
}

/** The stream a task's main output ends in: the main one of the tree after its keyed stages. */
export function mainStreamOf(job: JobSpec): string | undefined {
  const root = keyedOutputOf(job);
  if (root === undefined) return undefined;
  return streamsOfTree(outputTree(job, root)).find((n) => n.main)?.stream;
}

/** What the operator writes, or its last fused keyed stage. */
export function keyedOutputOf(job: JobSpec): string | undefined {
  const fused = fusedStagesOf(job);
  return fused.length > 0 ? fused[fused.length - 1].output : job.operator?.output;
}

/** What is wrong with the job's stages, for {@link checkJob} (empty when nothing). */
export function chainProblems(job: JobSpec): string[] {
  const stages = job.stages ?? [];
  if (stages.length === 0) return [];
  const problems: string[] = [];
  // the streams nothing but a stage writes: the sources, what the operator and keyed stages emit
  const sources = new Set(job.sources.map((s) => s.name));
  if (job.operator?.output !== undefined) sources.add(job.operator.output);
  for (const keyed of job.keyedStages ?? [])
    if (keyed.output !== undefined) sources.add(keyed.output);
  const ids = new Set<string>();
  const outputs = new Map<string, ChainStageSpec>();
  for (const stage of stages) {
    if (!/^[A-Za-z_][\w.-]*$/.test(stage.id)) {
      problems.push(
        `stage id "${stage.id}" must start with a letter or '_' and hold only letters, digits, '_', '.' or '-'`,
      );
    }
    if (ids.has(stage.id)) problems.push(`stage id "${stage.id}" is used twice`);
    ids.add(stage.id);
    if (sources.has(stage.output) || outputs.has(stage.output)) {
      problems.push(`stream "${stage.output}" is written twice (stage "${stage.id}")`);
    }
    outputs.set(stage.output, stage);
  }
  const readers = readersOf(job);
  for (const stage of stages) {
    if (!sources.has(stage.input) && !outputs.has(stage.input)) {
      problems.push(
        `stage "${stage.id}" reads unknown stream "${stage.input}" (sources and stage outputs: ${[...sources, ...outputs.keys()].join(', ')})`,
      );
    }
  }
  // Every stage must be reachable from a source: otherwise its streams form a cycle.
  const reached = new Set<string>();
  const reach = (stream: string) => {
    for (const s of readers.get(stream) ?? []) {
      if (reached.has(s.id)) continue;
      reached.add(s.id);
      reach(s.output);
    }
  };
  for (const source of sources) reach(source);
  const cyclic = stages.filter(
    (s) => !reached.has(s.id) && (sources.has(s.input) || outputs.has(s.input)),
  );
  if (cyclic.length > 0) {
    problems.push(
      `stages ${cyclic.map((s) => `"${s.id}"`).join(', ')} form a cycle: no source feeds them`,
    );
  }
  return problems;
}

/** The source whose chain ends in `stream` (the stream itself when no stage is involved). */
export function sourceOfStream(chains: readonly SourceChain[], stream: string): string | undefined {
  const reaches = (c: SourceChain) =>
    c.stream === stream || streamsOfTree(c.tree).some((n) => n.main && n.stream === stream);
  return chains.find(reaches)?.source;
}

import { ConfigurationError } from '../util/errors';
import { chainProblems, planChains, sourceOfStream, type SourceChain } from './chain-plan';
import type { JobSpec, SourceSpec } from './job-spec';
import { keyedStageProblems } from './segments';
import { windowSpecProblems } from '../window/window-problems';
import {
  fanOutProblems,
  operatorInputs,
  outputFanOutProblems,
  outputTree,
  streamsOfTree,
} from './source-tree';

export { operatorInputs };

/**
 * The sources the operator reads, in input order: each input stream is a source, or
 * the end of a chain of stateless stages after one.
 */
export function operatorSources(job: JobSpec): readonly (string | undefined)[] {
  const chains = planChains(job);
  return operatorInputs(job).map((stream) => sourceOfStream(chains, stream));
}

/** Keyed operators need keys and event time on their inputs; the async operator does not. */
export const isKeyed = (job: JobSpec) =>
  job.operator !== undefined && job.operator.kind !== 'async';

/** Rejects a job spec that cannot run, listing every problem at once. */
export function checkJob(job: JobSpec): void {
  const problems: string[] = [];
  if (!job.name || !/^[A-Za-z_][\w-]*$/.test(job.name)) {
    problems.push(
      `job name "${job.name}" must start with a letter or '_' and hold only letters, digits, '_' or '-'`,
    );
  }
  const byName = new Map<string, SourceSpec>();
  for (const source of job.sources) {
    if (byName.has(source.name)) problems.push(`source "${source.name}" is declared twice`);
    byName.set(source.name, source);
    if (source.eventTime && !(source.eventTime.maxOutOfOrdernessMs >= 0)) {
      problems.push(`source "${source.name}": maxOutOfOrdernessMs must be a number >= 0`);
    }
    if (source.eventTime?.maxFutureMs !== undefined && !(source.eventTime.maxFutureMs >= 0)) {
      problems.push(`source "${source.name}": maxFutureMs must be a number >= 0`);
    }
    if (source.maxRecordBytes !== undefined && !isCount(source.maxRecordBytes, 1)) {
      problems.push(`source "${source.name}": maxRecordBytes must be a whole number >= 1`);
    }
  }
  if (job.sources.length === 0) problems.push('a job needs at least one source');
  const stageProblems = chainProblems(job);
  problems.push(...stageProblems);
  if (stageProblems.length === 0) problems.push(...keyedStageProblems(job));
  const inputs = operatorInputs(job);
  const twice = inputs.filter((stream, i) => inputs.indexOf(stream) !== i);
  if (twice.length > 0) {
    problems.push(
      `operator "${job.operator?.name}" reads stream "${twice[0]}" twice; its inputs must be different streams`,
    );
  }
  if (job.operator?.kind === 'union' && inputs.length < 2) {
    problems.push(
      `union "${job.operator.name}" reads ${inputs.length} stream(s); a union needs two or more (a process reads one)`,
    );
  }
  const chains = stageProblems.length === 0 ? planChains(job) : [];
  if (stageProblems.length === 0) problems.push(...copiedStreamProblems(job, chains));
  const read = new Set<string>();
  for (const input of inputs) {
    const name = stageProblems.length === 0 ? sourceOfStream(chains, input) : input;
    const source = name === undefined ? undefined : byName.get(name);
    if (source) read.add(source.name);
    if (source && !isKeyed(job)) continue;
    if (!source) {
      if (stageProblems.length > 0) continue;
      problems.push(
        `operator "${job.operator?.name}" reads unknown stream "${input}" (sources and stage outputs: ${[...byName.keys(), ...(job.stages ?? []).map((s) => s.output)].join(', ') || 'none'})`,
      );
      continue;
    }
    if (!source.key)
      problems.push(
        `source "${source.name}" feeds keyed operator "${job.operator?.name}" but has no key selector`,
      );
    if (!source.eventTime) {
      problems.push(
        `source "${source.name}" feeds keyed operator "${job.operator?.name}" but declares no event time`,
      );
    }
  }
  if (job.operator && stageProblems.length === 0) {
    for (const source of job.sources) {
      if (!read.has(source.name)) {
        problems.push(`source "${source.name}" is not read by operator "${job.operator.name}"`);
      }
    }
  }
  // a branch of the sources' stages that ends nowhere, once the operator's inputs are known
  if (problems.length === 0) problems.push(...fanOutProblems(job), ...outputFanOutProblems(job));
  problems.push(...errorPolicyProblems(job), ...windowProblems(job));
  const side = job.outputs.sideOutputs ?? {};
  for (const [tag, sink] of Object.entries(side)) {
    if (!sink) problems.push(`side output "${tag}" is routed to an empty sink name`);
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`job "${job.name}" is not valid:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * `outputs.streams` copies a stream of the sources' stages, or one a keyed stage reads
 * (then written by the segment before it), to a sink.
 */
function copiedStreamProblems(job: JobSpec, chains: readonly SourceChain[]): string[] {
  const roots = [job.operator?.output, ...(job.keyedStages ?? []).map((s) => s.output)];
  const copyable = new Set([
    ...chains.flatMap((c) => streamsOfTree(c.tree).map((n) => n.stream)),
    ...(job.keyedStages ?? []).map((s) => s.input),
    ...roots.flatMap((root) =>
      root === undefined ? [] : streamsOfTree(outputTree(job, root)).map((n) => n.stream),
    ),
  ]);
  return Object.keys(job.outputs.streams ?? {})
    .filter((stream) => !copyable.has(stream))
    .map(
      (stream) =>
        `outputs.streams names "${stream}", which is neither a stream of the sources' stages nor one after the operator or a keyed stage (streams that can go to a sink too: ${[...copyable].join(', ')})`,
    );
}

/** The windows of the operator and the keyed stages, each named. */
function windowProblems(job: JobSpec): string[] {
  const op = job.operator;
  const windows = [
    ...(op?.kind === 'process' && op.window ? [[`operator "${op.name}"`, op.window] as const] : []),
    ...(job.keyedStages ?? []).flatMap((s) =>
      s.window ? [[`keyed stage "${s.id}"`, s.window] as const] : [],
    ),
  ];
  return windows.flatMap(([label, spec]) => windowSpecProblems(spec).map((p) => `${label}: ${p}`));
}

function errorPolicyProblems(job: JobSpec): string[] {
  const { retries, then } = job.onError ?? {};
  const problems: string[] = [];
  if (retries !== undefined && !isCount(retries, 0)) {
    problems.push(`onError.retries must be a whole number >= 0, got ${String(retries)}`);
  }
  if (then !== undefined && then !== 'dead-letter' && then !== 'fail') {
    problems.push(`onError.then must be 'dead-letter' or 'fail', got ${JSON.stringify(then)}`);
  }
  if (job.operator?.kind === 'async' && retries) {
    problems.push(
      `onError.retries does not apply to enrichment "${job.operator.name}": set the retries of its limits`,
    );
  }
  return problems;
}

const isCount = (n: unknown, min: number) =>
  typeof n === 'number' && Number.isInteger(n) && n >= min;

import { ConfigurationError } from '../util/errors';
import type { JobSpec, SourceSpec } from './job-spec';

/** Names of the sources the keyed operator reads, in input order (empty when stateless). */
export function operatorInputs(job: JobSpec): readonly string[] {
  const op = job.operator;
  if (!op) return [];
  return op.kind === 'coProcess' ? op.inputs : [op.input];
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
  const inputs = operatorInputs(job);
  if (new Set(inputs).size !== inputs.length) {
    problems.push(
      `operator "${job.operator?.name}" reads source "${inputs[0]}" twice; a co-process needs two different sources`,
    );
  }
  for (const input of inputs) {
    const source = byName.get(input);
    if (source && !isKeyed(job)) continue;
    if (!source) {
      problems.push(
        `operator "${job.operator?.name}" reads unknown source "${input}" (sources: ${[...byName.keys()].join(', ') || 'none'})`,
      );
      continue;
    }
    if (!source.key)
      problems.push(
        `source "${input}" feeds keyed operator "${job.operator?.name}" but has no key selector`,
      );
    if (!source.eventTime) {
      problems.push(
        `source "${input}" feeds keyed operator "${job.operator?.name}" but declares no event time`,
      );
    }
  }
  if (job.operator) {
    for (const source of job.sources) {
      if (!inputs.includes(source.name)) {
        problems.push(`source "${source.name}" is not read by operator "${job.operator.name}"`);
      }
    }
  }
  problems.push(...errorPolicyProblems(job));
  const side = job.outputs.sideOutputs ?? {};
  for (const [tag, sink] of Object.entries(side)) {
    if (!sink) problems.push(`side output "${tag}" is routed to an empty sink name`);
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`job "${job.name}" is not valid:\n  - ${problems.join('\n  - ')}`);
  }
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

import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { kebabCase } from '../emit/naming';
import type { JobGraph } from '../model/job-graph';
import { validateErrorPolicy } from './validate-error-policy';
import { validateOperator } from './validate-operator';

/** Checks across the decorators of each job, and across jobs. */
export function validateJobs(jobs: readonly JobGraph[], sink: DiagnosticsSink): void {
  const names = new Map<string, JobGraph>();
  for (const job of jobs) {
    // Names that differ only in case or separators would share generated file names.
    const first = names.get(kebabCase(job.name));
    if (first) {
      sink.reportAt(
        'SG1701',
        first.name === job.name
          ? `job name "${job.name}" is already used by class ${first.className}`
          : `job name "${job.name}" clashes with "${first.name}" (class ${first.className}): both generate ${kebabCase(job.name)}.*.generated.ts`,
        job.location,
      );
    } else names.set(kebabCase(job.name), job);
    validateJob(job, sink);
  }
}

function validateJob(job: JobGraph, sink: DiagnosticsSink): void {
  if (!/^[A-Za-z_][\w-]*$/.test(job.name)) {
    sink.reportAt(
      'SG1002',
      `job name "${job.name}" is not valid: use letters, digits, '_' or '-', starting with a letter or '_'`,
      job.location,
    );
  }
  const sources = new Set<string>();
  for (const s of job.sources) {
    if (sources.has(s.name))
      sink.reportAt(
        'SG1501',
        `source "${s.name}" is declared twice in job ${job.name}`,
        s.location,
      );
    sources.add(s.name);
  }
  const sinks = new Set<string>();
  for (const s of job.sinks) {
    if (sinks.has(s.name))
      sink.reportAt('SG1502', `sink "${s.name}" is declared twice in job ${job.name}`, s.location);
    sinks.add(s.name);
  }
  const checkSink = (name: string | undefined, role: string, location = job.location) => {
    if (name !== undefined && !sinks.has(name)) {
      sink.reportAt(
        'SG1602',
        `${role} refers to unknown sink "${name}" (declared sinks: ${list(sinks)}); add @Sink('${name}')`,
        location,
      );
    }
  };
  checkSink(job.deadLetters, '@StreamJob deadLetters');
  if (job.operator) {
    checkSink(job.operator.output, 'operator output', job.operator.location);
    for (const [tag, target] of Object.entries(job.operator.sideOutputs)) {
      checkSink(target, `side output "${tag}"`, job.operator.location);
    }
  }
  validateOperator(job, sources, sink);
  validateErrorPolicy(job, sink);
}

export function list(names: Iterable<string>): string {
  const all = [...names];
  return all.length > 0 ? all.map((n) => `"${n}"`).join(', ') : 'none';
}

import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { didYouMean } from '../analyze/near-name';
import { kebabCase } from '../emit/naming';
import type { JobGraph, SourceLocation } from '../model/job-graph';
import { list } from './name-list';
import { validateErrorPolicy } from './validate-error-policy';
import { operatorDecorator, validateOperator } from './validate-operator';
import {
  keyedStagesInOrder,
  outputStream,
  sideOutputSinks,
  streamsOf,
  unclaimedSinks,
} from '../model/streams';
import { validateKeyedStages } from './validate-keyed-stages';
import { validateStageIds } from './validate-stage-ids';
import { validateStages } from './validate-stages';
import { validateStreamSinks } from './validate-stream-sinks';
import { validateViews } from './validate-views';

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
  const checkSink = (name: string | undefined, role: string, location: SourceLocation) =>
    checkSinkName(name, role, sinks, location, sink);
  checkSink(job.deadLetters, '@StreamJob deadLetters', job.at.deadLetters ?? job.location);
  const op = job.operator;
  if (op) {
    // an output stages read is a stream; the last of them names the sink (validateStages)
    if (outputStream(job) === undefined)
      checkSink(op.output, 'operator output', op.at.output ?? op.location);
    for (const [tag, target] of Object.entries(op.sideOutputs)) {
      checkSink(target, `side output "${tag}"`, op.at.sideOutputs[tag] ?? op.location);
    }
    for (const stage of job.keyedStages) {
      for (const [tag, target] of Object.entries(stage.process.sideOutputs)) {
        const at = stage.process.at.sideOutputs[tag] ?? stage.location;
        checkSink(target, `side output "${tag}" of keyed stage "${stage.id}"`, at);
      }
    }
    if (job.output !== undefined && job.keyedStages.length === 0) {
      sink.reportAt(
        'SG1002',
        `@StreamJob output is for a job without an operator or with keyed stages; set output in @${operatorDecorator(op)} instead`,
        job.at.output ?? job.location,
      );
    }
  }
  if (!op || job.keyedStages.length > 0) {
    checkSink(job.output, '@StreamJob output', job.at.output ?? job.location);
    validateUnnamedOutput(job, sink);
  }
  validateStageIds(job, sink);
  validateStages(job, sink);
  validateKeyedStages(job, sink);
  validateStreamSinks(job, sink);
  validateOperator(job, streamsOf(job), sink);
  validateErrorPolicy(job, sink);
  validateViews(job, sink);
}

/**
 * A main output that no operator names needs a sink: a job without an operator forwards
 * every element of its sources there, a job with keyed stages what the last one emits.
 */
function validateUnnamedOutput(job: JobGraph, sink: DiagnosticsSink): void {
  if (job.output !== undefined && job.output === job.deadLetters) {
    sink.reportAt(
      'SG1002',
      `@StreamJob output and deadLetters are both "${job.output}": good records and dead letters would mix in one sink`,
      job.at.output ?? job.location,
    );
  }
  // handlers or timers without an operator were reported: an operator is what is missing
  if (job.output !== undefined || job.sources.length === 0 || job.looseMembers) return;
  const candidates = [
    ...new Set(
      unclaimedSinks(job.sinks, job.deadLetters, sideOutputSinks(job.operator, job.keyedStages)),
    ),
  ];
  const last = keyedStagesInOrder(job).at(-1) ?? job.keyedStages.at(-1);
  sink.reportAt(
    'SG1105',
    (last
      ? `what keyed stage "${last.id}" emits is the main output of job ${job.name}, which has no sink`
      : `job ${job.name} has no operator, so every element of its sources goes to its main output, which has no sink`) +
      (candidates.length > 1
        ? `: name one with @StreamJob({ output: '<sink>' }) (sinks: ${list(candidates)})`
        : `: add @Sink('<name>')${last ? '' : ' (or an operator such as @KeyedProcess)'}`),
    job.location,
  );
}

/** SG1602 for a sink name that is not declared, suggesting the near one. */
function checkSinkName(
  name: string | undefined,
  role: string,
  sinks: ReadonlySet<string>,
  location: SourceLocation,
  sink: DiagnosticsSink,
): void {
  if (name === undefined || sinks.has(name)) return;
  sink.reportAt(
    'SG1602',
    `${role} refers to unknown sink "${name}" (declared sinks: ${list(sinks)})${didYouMean(name, sinks, `; add @Sink('${name}')`)}`,
    location,
  );
}

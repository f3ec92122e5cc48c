import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import type { JobGraph } from '../model/job-graph';

/** An onError policy the runtime could not follow as written (SG1901). */
export function validateErrorPolicy(job: JobGraph, sink: DiagnosticsSink): void {
  const policy = job.onError;
  if (!policy) return;
  if (policy.retries > 0 && job.operator?.kind === 'async') {
    sink.reportAt(
      'SG1901',
      `onError.retries does not apply to an @AsyncEnrich job: set retries in @AsyncEnrich({ retries }) instead`,
      policy.location,
    );
  }
  if (policy.then === 'dead-letter' && job.deadLetters === undefined) {
    sink.reportAt(
      'SG1901',
      `onError sends records that still fail to the dead letters, but @StreamJob declares no deadLetters sink: add deadLetters: '<sink>', or then: 'fail'`,
      policy.location,
    );
  }
}

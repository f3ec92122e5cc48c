import { LATE_TAG } from '../job/job-spec';
import type { Clock } from '../time/clock';
import { errorMessage } from '../util/error-message';
import type { IngestTarget } from './element-ingest';
import type { TaskFailures } from './task-failures';
import type { TaskOutput } from './task-output';

/**
 * Where a task's ingest sends what does not reach the operator: late elements to the
 * `late` side output, copied streams to their sinks, the rest to the dead letters (or
 * the job's failure); an output that cannot be emitted dead-letters its record.
 */
export function taskIngestTarget(
  output: TaskOutput,
  failures: TaskFailures,
  clock: Clock,
): IngestTarget {
  return {
    deadLetter: (origin, source, offset, reason, value) =>
      failures.deadLetter(origin, source, offset, reason, value),
    late: (origin, key, timestamp, value, where) => {
      output.setOrigin(origin);
      try {
        output.emit({ kind: 'side', tag: LATE_TAG }, key, timestamp, value);
      } catch (error) {
        const { source, offset, record } = where();
        failures.deadLetter(origin, source, offset, `late element: ${errorMessage(error)}`, record);
      }
    },
    copy: (stream, origin, value, where) => {
      output.setOrigin(origin);
      try {
        output.emit({ kind: 'stream', name: stream }, null, clock.now(), value);
      } catch (error) {
        const { source, offset, record } = where();
        const reason = `copy of stream "${stream}": ${errorMessage(error)}`;
        failures.deadLetter(origin, source, offset, reason, record);
      }
    },
    failed: (failure, origin, record) => failures.failed(failure, origin, record),
  };
}

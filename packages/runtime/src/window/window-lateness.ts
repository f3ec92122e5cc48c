import type { OperatorSpec } from '../job/job-spec';

/**
 * True when the operator is an event-time window: it, not the task's way in, decides
 * which elements behind the watermark are late (those of no window within its allowed
 * lateness), so the task hands it every element.
 */
export function windowJudgesLateness(operator: OperatorSpec | undefined): boolean {
  return (
    operator?.kind === 'process' &&
    operator.window !== undefined &&
    operator.window.time !== 'processing'
  );
}

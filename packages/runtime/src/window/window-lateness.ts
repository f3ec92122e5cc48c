import type { OperatorSpec } from '../job/job-spec';

/**
 * True when the operator is a window: it, not the task's way in, decides which elements
 * are late. An event-time window still takes an element behind the watermark into a
 * window within its allowed lateness; a processing-time window takes every element.
 */
export function windowJudgesLateness(operator: OperatorSpec | undefined): boolean {
  return operator?.kind === 'process' && operator.window !== undefined;
}

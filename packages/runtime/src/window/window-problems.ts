import { assignerProblem } from './assign-windows';
import type { WindowSpec } from './window-spec';

/** What makes a window spec unusable: its assigner, its time, its allowed lateness. */
export function windowSpecProblems(spec: WindowSpec): string[] {
  const problems: string[] = [];
  const assigner = assignerProblem(spec.assigner);
  if (assigner) problems.push(assigner);
  if (spec.time !== undefined && spec.time !== 'event' && spec.time !== 'processing')
    problems.push(`window time must be 'event' or 'processing', got ${JSON.stringify(spec.time)}`);
  const lateness = spec.allowedLatenessMs ?? 0;
  if (!(Number.isInteger(lateness) && lateness >= 0))
    problems.push(`allowedLatenessMs must be a whole number >= 0, got ${lateness}`);
  else if (spec.time === 'processing' && lateness > 0)
    problems.push('processing-time windows fire by the clock and take no allowed lateness');
  return problems;
}

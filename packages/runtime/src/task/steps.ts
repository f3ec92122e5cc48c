import type { Step } from '../job/job-spec';
import { errorMessage } from '../util/error-message';

/** Runs the stateless steps of a source over one element; returns what comes out (0..n values). */
export function applySteps(steps: readonly Step[], value: unknown): unknown[] {
  let values: unknown[] = [value];
  steps.forEach((step, index) => {
    const next: unknown[] = [];
    for (const v of values) {
      try {
        if (step.kind === 'filter') {
          if (step.fn(v)) next.push(v);
        } else if (step.kind === 'map') {
          next.push(step.fn(v));
        } else {
          for (const out of step.fn(v)) next.push(out);
        }
      } catch (error) {
        throw new Error(
          `${step.kind} step "${step.name ?? `#${index + 1}`}" threw: ${errorMessage(error)}`,
          {
            cause: error,
          },
        );
      }
    }
    values = next;
  });
  return values;
}

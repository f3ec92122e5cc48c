import type { Step } from '../job/job-spec';
import { errorMessage } from '../util/error-message';
import type { CallFailure } from './call-failure';

/** A step that threw, naming it: `map step "scale" threw: ...`. */
export class StepError extends Error {
  constructor(
    readonly label: string,
    cause: unknown,
  ) {
    super(`${label} threw: ${errorMessage(cause)}`, { cause });
  }
}

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
        throw new StepError(`${step.kind} step "${step.name ?? `#${index + 1}`}"`, error);
      }
    }
    values = next;
  });
  return values;
}

/**
 * {@link applySteps}, run again up to `retries` times while a step throws. Steps keep
 * no state, so an attempt leaves nothing to undo.
 */
export function applyStepsWithRetries(
  steps: readonly Step[],
  value: unknown,
  retries: number,
): unknown[] | CallFailure {
  const out = withStepRetries(() => applySteps(steps, value), retries);
  return 'failure' in out ? out.failure : out.result;
}

/** Runs stateless steps (`run`), again up to `retries` times while a step throws a {@link StepError}. */
export function withStepRetries<T>(
  run: () => T,
  retries: number,
): { readonly result: T } | { readonly failure: CallFailure } {
  for (let attempt = 1; ; attempt++) {
    try {
      return { result: run() };
    } catch (error) {
      if (attempt > retries) {
        const step = error as StepError;
        return { failure: { label: step.label, error: step.cause, attempts: attempt } };
      }
    }
  }
}

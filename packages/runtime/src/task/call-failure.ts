import { errorMessage } from '../util/error-message';

/** A user function that still threw after every attempt the error policy allows. */
export interface CallFailure {
  /** What was called, e.g. `operator "Join"` or `map step "scale"`. */
  readonly label: string;
  /** Where in it, e.g. ` in onTimer`; empty for the element handler. */
  readonly where?: string;
  readonly error: unknown;
  readonly attempts: number;
}

/** The dead-letter reason: `operator "Join" threw: boom`, `... threw 3 times: boom` after retries. */
export function failureReason(failure: CallFailure): string {
  const times = failure.attempts > 1 ? ` ${failure.attempts} times` : '';
  return `${failure.label} threw${failure.where ?? ''}${times}: ${errorMessage(failure.error)}`;
}

import type { TaskScope } from '../state-backend';
import { StreamGenError } from '../../util/errors';

/** Errors the scripts raise on purpose start with a code: `SGFENCED 12`, `SGSTATES plays`. */
export interface ScriptFailure {
  readonly code: string;
  readonly detail: string;
}

export function scriptFailure(error: unknown): ScriptFailure | undefined {
  const message = error instanceof Error ? error.message : '';
  const match = /^(SG[A-Z]+)(?: ([\s\S]*))?$/.exec(message);
  return match ? { code: match[1], detail: match[2] ?? '' } : undefined;
}

/** A script error of ours, reworded for the task; any other error (connection, OOM) as it is. */
export function scriptError(scope: TaskScope, what: string, error: unknown): Error {
  if (!(error instanceof Error)) return new StreamGenError(`${what} failed: ${String(error)}`);
  const failure = scriptFailure(error);
  if (!failure) return error;
  return new StreamGenError(`${what} of task ${scope.job}/${scope.task} failed: ${failure.detail}`);
}

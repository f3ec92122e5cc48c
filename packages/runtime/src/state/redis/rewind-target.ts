import { ConfigurationError } from '../../util/errors';
import { checkSavepointName } from './savepoints';

/** Where `rewind` takes every task of a job. */
export type RewindTarget =
  /** Checkpoint `id` of every task (each must retain it). */
  | { readonly kind: 'checkpoint'; readonly id: number }
  /** The savepoint of that name of every task. */
  | { readonly kind: 'savepoint'; readonly name: string }
  /** Per task, its newest retained checkpoint taken at or before `at` (epoch ms). */
  | { readonly kind: 'time'; readonly at: number };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T/;

/** `12` is a checkpoint id, `2024-05-01T10:00:00Z` a time, anything else a savepoint name. */
export function parseRewindTarget(text: string): RewindTarget {
  if (/^\d+$/.test(text)) {
    const id = Number(text);
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new ConfigurationError(`a checkpoint id is an integer >= 1, got "${text}"`);
    }
    return { kind: 'checkpoint', id };
  }
  if (ISO_TIME.test(text)) {
    const at = Date.parse(text);
    if (!Number.isFinite(at)) {
      throw new ConfigurationError(`"${text}" is not a time (e.g. 2024-05-01T10:00:00Z)`);
    }
    return { kind: 'time', at };
  }
  checkSavepointName(text);
  return { kind: 'savepoint', name: text };
}

export function describeTarget(target: RewindTarget): string {
  switch (target.kind) {
    case 'checkpoint':
      return `checkpoint ${target.id}`;
    case 'savepoint':
      return `savepoint "${target.name}"`;
    case 'time':
      return `the checkpoints taken at or before ${new Date(target.at).toISOString()}`;
  }
}

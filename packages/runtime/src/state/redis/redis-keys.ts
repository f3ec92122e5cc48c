import { ConfigurationError } from '../../util/errors';
import type { TaskScope } from '../state-backend';

/**
 * The Redis keys of one task. Every key carries the hash tag `{<job>:<task>}`, so all
 * keys of a task hash to one Cluster slot and one Lua script may touch all of them.
 */
export interface TaskKeys {
  /** `{<job>:<task>}` */
  readonly tag: string;
  /** Hash `id` (latest checkpoint id), `token` (the commit call that wrote it). */
  readonly head: string;
  /** Hash: checkpoint id -> checkpoint JSON (id, takenAt, positions, watermarks, timers). */
  readonly checkpoints: string;
  /** Hash: checkpoint id -> undo log of that checkpoint (MessagePack, written by Lua). */
  readonly undo: string;
  /** Set of the state names the task ever wrote (tells rewind which hashes it may touch). */
  readonly states: string;
  /** Hash of one state: field = key, value = JSON `{ value, expiresAt? }`. */
  state(name: string): string;
  /** Set of the names of the task's savepoints. */
  readonly savepoints: string;
  /** Hash of one savepoint: `id`, `savedAt`, `states` (JSON array), `keys`, `checkpoint` (JSON). */
  savepoint(name: string): string;
  /** The copy of one state hash that a savepoint keeps. */
  savepointState(savepoint: string, state: string): string;
}

/** Characters that would cut the hash tag short or move it. */
const TAG_BREAKERS = /[{}]/;

export function taskKeys(prefix: string, scope: TaskScope): TaskKeys {
  for (const [what, text] of [
    ['key prefix', prefix],
    ['job name', scope.job],
    ['task id', scope.task],
  ] as const) {
    if (TAG_BREAKERS.test(text)) {
      throw new ConfigurationError(
        `the Redis state backend cannot use ${what} "${text}": "{" and "}" would break the ` +
          `hash tag {<job>:<task>} that keeps a task's keys in one Redis Cluster slot`,
      );
    }
  }
  const tag = `{${scope.job}:${scope.task}}`;
  const base = `${prefix}:${tag}`;
  return {
    tag,
    head: `${base}:head`,
    checkpoints: `${base}:checkpoints`,
    undo: `${base}:undo`,
    states: `${base}:states`,
    state: (name) => `${base}:state:${name}`,
    savepoints: `${base}:savepoints`,
    savepoint: (name) => `${base}:savepoint:${name}`,
    savepointState: (savepoint, state) => `${base}:savepoint:${savepoint}:state:${state}`,
  };
}

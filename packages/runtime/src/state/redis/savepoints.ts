/**
 * Named savepoints of a task in Redis. The backend keeps the last N checkpoints and
 * rewinds by applying undo logs, so a checkpoint it no longer retains cannot be reached;
 * a savepoint is therefore a copy: of every state hash of the task (COPY, in Redis) and
 * of its latest checkpoint, under keys of the task's hash tag that retention never
 * touches. It stays until it is dropped.
 *
 *   sg:{Job:3}:savepoints                    set    savepoint names
 *   sg:{Job:3}:savepoint:<name>              hash   id, savedAt, states (JSON array),
 *                                                   keys (entries copied), checkpoint (JSON)
 *   sg:{Job:3}:savepoint:<name>:state:<s>    hash   copy of sg:{Job:3}:state:<s>
 */
import { randomUUID } from 'node:crypto';
import type { TaskCheckpoint } from '../checkpoint';
import type { TaskScope } from '../state-backend';
import { ConfigurationError, StreamGenError } from '../../util/errors';
import type { TaskKeys } from './redis-keys';
import { LuaScript, type RedisClient } from './redis-scripts';
import { installArgs, movedError, type RewindInstall } from './rewind-install';
import { RESTORE_SAVEPOINT_SCRIPT, TAKE_SAVEPOINT_SCRIPT } from './savepoint-scripts';
import { scriptError, scriptFailure } from './script-errors';
import { withStateNames } from './state-names';

/** One savepoint of one task. */
export interface TaskSavepoint {
  readonly name: string;
  /** When the savepoint was recorded (epoch ms). */
  readonly savedAt: number;
  /** The checkpoint it copied (the task's latest then). */
  readonly checkpoint: TaskCheckpoint;
  /** The states it holds a copy of. */
  readonly states: readonly string[];
  /** Entries copied, over all states. */
  readonly keys: number;
}

/** Starts with a letter (so it never reads as a checkpoint id or a time), then letters, digits, `.`, `_`, `-`. */
const NAME = /^[A-Za-z][A-Za-z0-9._-]{0,99}$/;

export function checkSavepointName(name: string): void {
  if (!NAME.test(name)) {
    throw new ConfigurationError(
      `savepoint name "${name}" must start with a letter and hold only letters, digits, ` +
        `".", "_" or "-" (at most 100 characters)`,
    );
  }
}

const takeScript = new LuaScript(TAKE_SAVEPOINT_SCRIPT);
const restoreScript = new LuaScript(RESTORE_SAVEPOINT_SCRIPT);

/** The pairs (live hash, savepoint copy) of each state, as the scripts take them. */
function statePairs(keys: TaskKeys, name: string, states: readonly string[]): string[] {
  return states.flatMap((state) => [keys.state(state), keys.savepointState(name, state)]);
}

/** Records savepoint `name` of the task: a copy of its latest checkpoint and state. */
export async function takeSavepoint(
  client: RedisClient,
  keys: TaskKeys,
  scope: TaskScope,
  name: string,
  savedAt: number,
): Promise<TaskSavepoint> {
  checkSavepointName(name);
  try {
    return await withStateNames(client, keys, async (states) => {
      const [, json, copied] = (await takeScript.run(
        client,
        [
          keys.head,
          keys.checkpoints,
          keys.states,
          keys.savepoints,
          keys.savepoint(name),
          ...statePairs(keys, name, states),
        ],
        [name, String(Math.trunc(savedAt)), JSON.stringify(states), ...states],
      )) as [string, string, number];
      const checkpoint = JSON.parse(json) as TaskCheckpoint;
      return { name, savedAt: Math.trunc(savedAt), checkpoint, states, keys: Number(copied) };
    });
  } catch (error) {
    throw scriptError(scope, `savepoint "${name}"`, error);
  }
}

/**
 * Rewinds the task to savepoint `name`: its state, timers, watermarks and positions
 * become the savepoint's, which is the only retained checkpoint afterwards (the next
 * checkpoint follows its id). Returns that checkpoint. With `install` (a job with keyed
 * stages), the same script refuses a task that moved since the rewind was planned, and
 * the checkpoint it installs takes the savepoint's place.
 */
export async function restoreSavepoint(
  client: RedisClient,
  keys: TaskKeys,
  scope: TaskScope,
  name: string,
  install?: RewindInstall,
): Promise<TaskCheckpoint> {
  const saved = await readSavepoint(client, keys, name);
  if (!saved)
    throw new StreamGenError(`task ${scope.job}/${scope.task} has no savepoint "${name}"`);
  try {
    const json = await withStateNames(client, keys, (live) => {
      const states = [...new Set([...live, ...saved.states])].sort();
      return restoreScript.run(
        client,
        [
          keys.head,
          keys.checkpoints,
          keys.undo,
          keys.states,
          keys.savepoint(name),
          ...statePairs(keys, name, states),
        ],
        [`savepoint:${randomUUID()}`, ...installArgs(install), ...states],
      ) as Promise<string>;
    });
    return JSON.parse(json) as TaskCheckpoint;
  } catch (error) {
    const moved = movedError(scope, scriptFailure(error));
    if (moved) throw moved;
    if (scriptFailure(error)?.code === 'SGNOSAVEPOINT') {
      throw new StreamGenError(`task ${scope.job}/${scope.task} has no savepoint "${name}"`);
    }
    throw scriptError(scope, `rewind to savepoint "${name}"`, error);
  }
}

/** Drops savepoint `name` of the task (its copies too); false when it has none of that name. */
export async function dropSavepoint(
  client: RedisClient,
  keys: TaskKeys,
  name: string,
): Promise<boolean> {
  const saved = await readSavepoint(client, keys, name);
  const copies = (saved?.states ?? []).map((state) => keys.savepointState(name, state));
  // one slot (the task's hash tag), so one transaction even on a Cluster
  const results = await client
    .multi()
    .srem(keys.savepoints, name)
    .del(keys.savepoint(name), ...copies)
    .exec();
  return results?.[0]?.[1] === 1 || saved !== undefined;
}

const FIELDS = ['savedAt', 'states', 'keys', 'checkpoint'] as const;

export async function readSavepoint(
  client: RedisClient,
  keys: TaskKeys,
  name: string,
): Promise<TaskSavepoint | undefined> {
  const [savedAt, states, entries, checkpoint] = await client.hmget(
    keys.savepoint(name),
    ...FIELDS,
  );
  if (savedAt === null || states === null || checkpoint === null) return undefined;
  return {
    name,
    savedAt: Number(savedAt),
    checkpoint: JSON.parse(checkpoint) as TaskCheckpoint,
    states: JSON.parse(states) as string[],
    keys: Number(entries ?? 0),
  };
}

/** Every savepoint of the task, oldest first. */
export async function readSavepoints(
  client: RedisClient,
  keys: TaskKeys,
): Promise<TaskSavepoint[]> {
  const names = await client.smembers(keys.savepoints);
  const found = await Promise.all(names.map((name) => readSavepoint(client, keys, name)));
  return found
    .filter((s): s is TaskSavepoint => s !== undefined)
    .sort((a, b) => a.savedAt - b.savedAt || a.name.localeCompare(b.name));
}

import type { TaskCheckpoint } from '../checkpoint';
import type { TaskScope } from '../state-backend';
import { StreamGenError } from '../../util/errors';
import type { ScriptFailure } from './script-errors';

/**
 * What a rewind of a job with keyed stages asks of each task's rewind script, besides
 * restoring the target (see "Rewind" in task/epoch-gate.ts): that the task did not move
 * since the rewind was planned, and that the target becomes the latest checkpoint as
 * the plan amended it (void epochs for the gate, a new id for a task that feeds an
 * exchange). In the same script as the restore, so a task is rewound whole or not at
 * all.
 */
export interface RewindInstall {
  /** The task's latest checkpoint id when the rewind was planned (undefined: none). */
  readonly planned: number | undefined;
  /**
   * Becomes the latest checkpoint instead of the target as stored: the target under its
   * own id (its record replaced), or under a new id, then the only one retained (no
   * undo logs lead across the skipped ids).
   */
  readonly checkpoint?: TaskCheckpoint;
}

/**
 * Lua of both rewind scripts (REWIND_SCRIPT, RESTORE_SAVEPOINT_SCRIPT). KEYS[1] head,
 * KEYS[2] checkpoints, KEYS[3] undo; ARGV[o] the planned latest id ('' = not checked,
 * '0' = none), ARGV[o + 1] the id to install ('' = none), ARGV[o + 2] its checkpoint
 * JSON. `check_install` belongs to phase 1 (SGMOVED <latest>, SGARGS), `install` to
 * phase 2 (it returns the installed JSON, or nil).
 */
export const INSTALL_LUA = `
local function check_install(o)
  local latest = redis.call('HGET', KEYS[1], 'id') or '0'
  if ARGV[o] ~= '' and latest ~= ARGV[o] then
    return redis.error_reply('SGMOVED ' .. latest)
  end
  if ARGV[o + 1] ~= '' and (not string.match(ARGV[o + 1], '^%d+$') or ARGV[o + 2] == '') then
    return redis.error_reply('SGARGS bad checkpoint to install')
  end
  return nil
end
local function install(o, target)
  local id = ARGV[o + 1]
  if id == '' then return nil end
  if id ~= target then redis.call('DEL', KEYS[2], KEYS[3]) end
  redis.call('HSET', KEYS[2], id, ARGV[o + 2])
  redis.call('HSET', KEYS[1], 'id', id)
  return ARGV[o + 2]
end
`;

/** The three ARGV entries `INSTALL_LUA` reads. */
export function installArgs(install: RewindInstall | undefined): string[] {
  if (!install) return ['', '', ''];
  const { planned, checkpoint } = install;
  const latest = String(planned ?? 0);
  return checkpoint
    ? [latest, String(checkpoint.id), JSON.stringify(checkpoint)]
    : [latest, '', ''];
}

/** SGMOVED: the task checkpointed after the rewind was planned; nothing was changed. */
export function movedError(
  scope: TaskScope,
  failure: ScriptFailure | undefined,
): Error | undefined {
  if (failure?.code !== 'SGMOVED') return undefined;
  return new StreamGenError(
    `task ${scope.job}/${scope.task} took checkpoint ${failure.detail} after the rewind was ` +
      'planned, so the job is still running; nothing was changed for it: stop the job and ' +
      'rewind again',
  );
}

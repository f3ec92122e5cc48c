/**
 * Keyed state and checkpoints of tasks in Redis (standalone or Cluster).
 *
 * Key layout, per task; `{<job>:<task>}` is the hash tag, so every key of a task is in
 * one Cluster slot and one Lua script may use them all (prefix default `sg`):
 *
 *   sg:{Job:3}:state:<name>   hash   field = state key, value = JSON {"value":…,"expiresAt":…}
 *                                    (the state as of the latest checkpoint)
 *   sg:{Job:3}:head           hash   id = latest checkpoint id, token = the commit call that wrote it,
 *                                    epoch = rewinds so far (a commit must carry the epoch its
 *                                    task restored: the fence against a process that restored
 *                                    before a rewind)
 *   sg:{Job:3}:checkpoints    hash   field = checkpoint id, value = checkpoint JSON
 *                                    (id, takenAt, positions, watermarks, timers), the last N
 *   sg:{Job:3}:undo           hash   field = checkpoint id i, value = undo log of i: for every
 *                                    field checkpoint i wrote, its value before (or "absent"),
 *                                    MessagePack; kept while checkpoint i - 1 is retained
 *   sg:{Job:3}:states         set    names of the states the task ever wrote (for rewind)
 *   sg:{Job:3}:savepoints, sg:{Job:3}:savepoint:<name>[:state:<state>]
 *                                    named savepoints: copies that retention never drops
 *                                    (see savepoints.ts)
 *
 * Round trips: `read` is one command (HMGET for one state, else one Lua script);
 * `commit` is one EVALSHA; `latest` one EVALSHA; `list` one HGETALL; `rewind` is
 * SMEMBERS then one EVALSHA. A script unknown to the server costs one extra EVAL.
 *
 * Crash ordering. The task only calls `commit` after every output of the batches since
 * the last checkpoint reached the sinks, and keeps its state writes in memory until
 * then. The commit script is one atomic step: Redis runs no other command during it,
 * and propagates its effects to replicas and to the AOF as one MULTI/EXEC (a torn
 * transaction at the AOF tail is dropped when loading); an RDB snapshot forks between
 * commands. Inside the script, everything that can fail (argument checks, key types,
 * the fence, reading old values for the undo log, encoding it) happens before the first
 * write; the writes after it cannot fail, and a script that has written cannot be
 * killed (Redis refuses SCRIPT KILL then) nor stopped by maxmemory. So Redis holds
 * either all of checkpoint N (state writes, undo log, checkpoint record, head = N) or
 * none of it, whatever line the client or the server dies at:
 *
 * - Crash before the EVALSHA is sent, or between two commits: Redis holds checkpoint
 *   N - 1 exactly. The restarted task restores N - 1 (state, timers, watermarks) and
 *   reads its inputs again from the positions of N - 1, so the lost batches are
 *   processed again from the state they first saw: nothing is lost, nothing counted
 *   twice. Outputs repeat, with the same `stream-gen-id` (sinks are at-least-once).
 * - Crash after the EVALSHA reached Redis: it ran whole or not at all (a partly
 *   received command is never run). The restarted task restores whichever is latest.
 * - Reply lost, ioredis resends the command after reconnecting: the head's token equals
 *   the resent one, so the script answers DUPLICATE and applies nothing again.
 * - A stale owner (the task moved to another process) commits N while the head is
 *   already N or more: the fence rejects it whole, it cannot overwrite the new owner's
 *   state. The same holds after a failover that lost acknowledged writes (replication
 *   is asynchronous): the head went back, the task's next id no longer follows it, its
 *   commit is rejected and the task restarts from what Redis really has.
 */
import { randomUUID } from 'node:crypto';
import { CheckpointFencedError } from '../checkpoint-fenced.error';
import type { CheckpointInfo, TaskCheckpoint } from '../checkpoint';
import type {
  CheckpointStore,
  StateBackend,
  StateRef,
  StateWrite,
  StoredEntry,
  TaskScope,
  TaskStateStore,
  TaskStores,
} from '../state-backend';
import { StreamGenError } from '../../util/errors';
import { taskKeys, type TaskKeys } from './redis-keys';
import {
  COMMIT_SCRIPT,
  LATEST_SCRIPT,
  LuaScript,
  READ_SCRIPT,
  REWIND_SCRIPT,
  type RedisClient,
} from './redis-scripts';
import { scriptError, scriptFailure } from './script-errors';
import { withStateNames } from './state-names';
import { installArgs, movedError, type RewindInstall } from './rewind-install';

export interface RedisStateBackendOptions {
  /** Checkpoints kept per task, the latest included (rewind reaches any of them). Default 10. */
  readonly retainCheckpoints?: number;
  /** First segment of every key. Default `sg`. Must not contain `{` or `}`. */
  readonly keyPrefix?: string;
}

export { CheckpointFencedError };

/**
 * A commit of a task that was rewound (`stream-gen rewind`) after this process restored
 * it: its state in memory belongs to the timeline the rewind discarded. Like any fenced
 * commit, nothing of it is applied, and the runner restarts the task from the rewound
 * checkpoint.
 */
export class CheckpointRewoundError extends CheckpointFencedError {
  constructor(scope: TaskScope, attempted: number, latest: number) {
    super(scope, attempted, latest);
    this.message =
      `checkpoint ${attempted} of task ${scope.job}/${scope.task} was refused: the task was ` +
      `rewound after this process restored it (its latest checkpoint is now ${latest}); ` +
      `restart the task from the latest checkpoint.`;
  }
}

/** `rewind` to a checkpoint that is not (or no longer) retained. */
export class CheckpointNotRetainedError extends StreamGenError {
  constructor(
    readonly scope: TaskScope,
    readonly checkpointId: number,
    readonly retained: readonly number[],
  ) {
    super(
      `cannot rewind task ${scope.job}/${scope.task} to checkpoint ${checkpointId}: it is not ` +
        `retained (retained: ${retained.length > 0 ? retained.join(', ') : 'none'})`,
    );
  }
}

const readScript = new LuaScript(READ_SCRIPT);
const latestScript = new LuaScript(LATEST_SCRIPT);
const commitScript = new LuaScript(COMMIT_SCRIPT);
const rewindScript = new LuaScript(REWIND_SCRIPT);

/**
 * A {@link StateBackend} on Redis. The caller creates, connects and closes the ioredis
 * client (a `Redis` or a `Cluster`); `close()` leaves it open.
 */
export class RedisStateBackend implements StateBackend {
  private readonly retain: number;
  private readonly prefix: string;

  constructor(
    private readonly client: RedisClient,
    options: RedisStateBackendOptions = {},
  ) {
    this.retain = options.retainCheckpoints ?? 10;
    if (!Number.isSafeInteger(this.retain) || this.retain < 1) {
      throw new RangeError(`retainCheckpoints must be an integer >= 1, got ${this.retain}`);
    }
    this.prefix = options.keyPrefix ?? 'sg';
    taskKeys(this.prefix, { job: 'job', task: 'task' }); // rejects a prefix with braces now
  }

  describe(): string {
    const kind = this.client.isCluster ? 'Redis Cluster' : 'Redis';
    return `${kind} state and checkpoints (keys ${this.prefix}:{<job>:<task>}:*, last ${this.retain} checkpoints per task)`;
  }

  async openTask(scope: TaskScope): Promise<TaskStores> {
    const task = new RedisTask(this.client, scope, taskKeys(this.prefix, scope), this.retain);
    return { state: task, checkpoints: task };
  }

  /**
   * Restores a task's state to a retained checkpoint and makes it the latest, in one
   * atomic script; the checkpoints after it and their undo logs are dropped, and the
   * task's epoch moves on. Stop the task first: a running one is fenced at its next
   * checkpoint (and its runner restarts it from the rewound checkpoint). With `install`
   * (a rewind of a job with keyed stages), the same script refuses a task that moved
   * since it was planned and makes the amended checkpoint the latest.
   */
  async rewind(
    scope: TaskScope,
    checkpointId: number,
    install?: RewindInstall,
  ): Promise<TaskCheckpoint> {
    if (!Number.isSafeInteger(checkpointId) || checkpointId < 1) {
      throw new RangeError(`a checkpoint id is an integer >= 1, got ${checkpointId}`);
    }
    const keys = taskKeys(this.prefix, scope);
    try {
      const json = await withStateNames(
        this.client,
        keys,
        (names) =>
          rewindScript.run(
            this.client,
            [keys.head, keys.checkpoints, keys.undo, keys.states, ...names.map(keys.state)],
            [String(checkpointId), `rewind:${randomUUID()}`, ...installArgs(install), ...names],
          ) as Promise<string>,
      );
      return JSON.parse(json) as TaskCheckpoint;
    } catch (error) {
      const failure = scriptFailure(error);
      const moved = movedError(scope, failure);
      if (moved) throw moved;
      if (failure?.code === 'SGNOTRETAINED') {
        const retained = failure.detail
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
          .map(Number);
        throw new CheckpointNotRetainedError(scope, checkpointId, retained);
      }
      if (failure?.code === 'SGSTATES') {
        throw new StreamGenError(
          `rewind of task ${scope.job}/${scope.task} failed: its undo logs write state ` +
            `"${failure.detail}", which ${keys.states} does not list`,
        );
      }
      throw scriptError(scope, 'rewind', error);
    }
  }

  /** Does nothing: the ioredis client belongs to the caller. */
  async close(): Promise<void> {}
}

class RedisTask implements TaskStateStore, CheckpointStore {
  /** The epoch of the head when the task restored ('' until then: not checked). */
  private epoch = '';

  constructor(
    private readonly client: RedisClient,
    private readonly scope: TaskScope,
    private readonly keys: TaskKeys,
    private readonly retain: number,
  ) {}

  async read(refs: readonly StateRef[]): Promise<Array<StoredEntry | undefined>> {
    if (refs.length === 0) return [];
    // ref indices per state, in order of first appearance
    const groups = new Map<string, number[]>();
    refs.forEach((ref, i) => {
      const group = groups.get(ref.state);
      if (group) group.push(i);
      else groups.set(ref.state, [i]);
    });
    let values: Array<string | null>;
    if (groups.size === 1) {
      const [state] = groups.keys();
      values = (await this.client.call('HMGET', [
        this.keys.state(state),
        ...refs.map((r) => r.key),
      ])) as Array<string | null>;
    } else {
      const stateKeys: string[] = [];
      const args: string[] = [];
      for (const [state, indices] of groups) {
        stateKeys.push(this.keys.state(state));
        args.push(String(indices.length));
        for (const i of indices) args.push(refs[i].key);
      }
      values = (await readScript.run(this.client, stateKeys, args)) as Array<string | null>;
    }
    const out = new Array<StoredEntry | undefined>(refs.length);
    let at = 0;
    for (const indices of groups.values()) {
      for (const i of indices) {
        const text = values[at++];
        out[i] =
          text === null || text === undefined ? undefined : (JSON.parse(text) as StoredEntry);
      }
    }
    return out;
  }

  /** HSCAN of the state's hash, a chunk per reply (COUNT 1000): no one command walks it all. */
  async *scan(state: string): AsyncIterable<Array<readonly [string, StoredEntry]>> {
    let cursor = '0';
    do {
      const [next, flat] = (await this.client.call('HSCAN', [
        this.keys.state(state),
        cursor,
        'COUNT',
        '1000',
      ])) as [string, string[]];
      cursor = next;
      const chunk: Array<readonly [string, StoredEntry]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        chunk.push([flat[i], JSON.parse(flat[i + 1]) as StoredEntry]);
      }
      if (chunk.length > 0) yield chunk;
    } while (cursor !== '0');
  }

  lineage(): number {
    return Number(this.epoch) || 0;
  }

  async latest(): Promise<TaskCheckpoint | undefined> {
    const [epoch, id, json] = (await latestScript.run(
      this.client,
      [this.keys.head, this.keys.checkpoints],
      [],
    )) as [string, string?, (string | null)?];
    this.epoch = epoch;
    if (id === undefined) return undefined;
    if (json === null || json === undefined) {
      throw new StreamGenError(
        `task ${this.scope.job}/${this.scope.task}: ${this.keys.head} names checkpoint ${id}, ` +
          `but ${this.keys.checkpoints} has no record of it`,
      );
    }
    return JSON.parse(json) as TaskCheckpoint;
  }

  async commit(
    checkpoint: TaskCheckpoint,
    writes: readonly StateWrite[],
    ready?: Promise<void>,
  ): Promise<void> {
    // Everything that can fail in Node fails here, before anything is sent.
    checkCheckpoint(checkpoint);
    const checkpointJson = JSON.stringify(checkpoint);
    const last = new Map<string, Map<string, string>>(); // state -> key -> JSON or '' (delete)
    for (const w of writes) {
      let fields = last.get(w.state);
      if (!fields) last.set(w.state, (fields = new Map()));
      fields.set(w.key, encodeEntry(w));
    }
    const names = [...last.keys()];
    const args: string[] = [
      String(checkpoint.id),
      randomUUID(),
      checkpointJson,
      String(this.retain),
      this.epoch,
      String(names.length),
      ...names,
    ];
    names.forEach((name, i) => {
      for (const [key, text] of last.get(name) as Map<string, string>) {
        args.push(String(i + 1), key, text);
      }
    });
    const k = this.keys;
    // the outputs this checkpoint covers are in their sinks before it is committed
    await ready;
    try {
      await commitScript.run(
        this.client,
        [k.head, k.checkpoints, k.undo, k.states, ...names.map(k.state)],
        args,
      );
    } catch (error) {
      const failure = scriptFailure(error);
      if (failure?.code === 'SGFENCED') {
        throw new CheckpointFencedError(this.scope, checkpoint.id, Number(failure.detail));
      }
      if (failure?.code === 'SGREWOUND') {
        throw new CheckpointRewoundError(this.scope, checkpoint.id, Number(failure.detail));
      }
      throw scriptError(this.scope, 'commit', error);
    }
  }

  async list(): Promise<CheckpointInfo[]> {
    const all = await this.client.hgetall(this.keys.checkpoints);
    return Object.values(all)
      .map((json) => JSON.parse(json) as TaskCheckpoint)
      .sort((a, b) => b.id - a.id)
      .map(({ id, takenAt, positions }) => ({ id, takenAt, positions }));
  }
}

function encodeEntry(write: StateWrite): string {
  if (write.entry === undefined) return '';
  // Throws for what JSON cannot hold (a BigInt, a cycle): the commit fails whole.
  const text = JSON.stringify(write.entry);
  if (typeof text !== 'string' || !text.startsWith('{')) {
    throw new TypeError(
      `state "${write.state}" of key "${write.key}" does not encode as a JSON object (got ${String(text)})`,
    );
  }
  return text;
}

/**
 * Checkpoints are stored as JSON, which turns Infinity and NaN into null: refuse them
 * instead (the runtime uses ±8.64e15 for ±infinity, see time-bounds.ts).
 */
function checkCheckpoint(checkpoint: TaskCheckpoint): void {
  if (!Number.isSafeInteger(checkpoint.id) || checkpoint.id < 1) {
    throw new RangeError(`checkpoint id must be an integer >= 1, got ${checkpoint.id}`);
  }
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw new RangeError(
          `checkpoint ${checkpoint.id}: ${path} is ${value}; checkpoints hold finite numbers ` +
            `only (use BEGINNING_OF_TIME / END_OF_TIME for -/+ infinity)`,
        );
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}[${i}]`));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
    }
  };
  visit(checkpoint, 'checkpoint');
}

import type { TaskCheckpoint } from '../checkpoint';
import type { WatermarkSnapshot } from '../../time/watermark-tracker';
import { INSPECT_SCRIPT } from './inspect-script';
import type { TaskKeys } from './redis-keys';
import { LuaScript, type RedisClient } from './redis-scripts';
import { readSavepoints, type TaskSavepoint } from './savepoints';

/** Size of one state of a task as of its latest checkpoint. */
export interface StateSize {
  readonly state: string;
  /** Entries (keys of the job's key space) in the state's hash. */
  readonly keys: number;
  /** Bytes of the hash in Redis (MEMORY USAGE, an estimate for large hashes). */
  readonly bytes: number;
}

/** A checkpoint, as listed: everything but the timers themselves. */
export interface CheckpointSummary {
  readonly id: number;
  readonly takenAt: number;
  /** Next offset to read, per source (and repartition input). */
  readonly positions: Readonly<Record<string, number>>;
  readonly watermarks: WatermarkSnapshot;
  /** Pending timers saved with the checkpoint. */
  readonly timers: { readonly event: number; readonly processing: number };
}

export interface SavepointSummary {
  readonly name: string;
  readonly savedAt: number;
  readonly checkpoint: CheckpointSummary;
  readonly states: readonly string[];
  /** Entries copied, over all states. */
  readonly keys: number;
}

/** What Redis holds of one task: retained checkpoints, state sizes, savepoints. */
export interface TaskCheckpoints {
  readonly task: string;
  /** Id of the latest checkpoint (undefined: none yet). */
  readonly latest: number | undefined;
  /** How often the task was rewound (its epoch). */
  readonly rewinds: number;
  readonly states: readonly StateSize[];
  /** Retained checkpoints, newest first. */
  readonly checkpoints: readonly CheckpointSummary[];
  /** Savepoints, oldest first. */
  readonly savepoints: readonly SavepointSummary[];
}

const inspectScript = new LuaScript(INSPECT_SCRIPT);

export function summarize(checkpoint: TaskCheckpoint): CheckpointSummary {
  const { id, takenAt, positions, watermarks, timers } = checkpoint;
  return {
    id,
    takenAt,
    positions,
    watermarks,
    timers: { event: timers.event.length, processing: timers.processing.length },
  };
}

function summarizeSavepoint(savepoint: TaskSavepoint): SavepointSummary {
  const { name, savedAt, states, keys } = savepoint;
  return { name, savedAt, checkpoint: summarize(savepoint.checkpoint), states, keys };
}

/** A flat [field, value, field, value, ...] reply as a record. */
function pairs(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

export async function inspectTask(
  client: RedisClient,
  keys: TaskKeys,
  task: string,
): Promise<TaskCheckpoints> {
  const names = (await client.smembers(keys.states)).sort();
  const [head, checkpoints, sizes] = (await inspectScript.run(
    client,
    [keys.head, keys.checkpoints, ...names.map(keys.state)],
    [],
  )) as [string[], string[], Array<[number, number]>];
  const fields = pairs(head);
  return {
    task,
    latest: fields.id === undefined ? undefined : Number(fields.id),
    rewinds: Number(fields.epoch ?? 0),
    states: names.map((state, i) => ({ state, keys: sizes[i][0], bytes: sizes[i][1] })),
    checkpoints: Object.values(pairs(checkpoints))
      .map((json) => summarize(JSON.parse(json) as TaskCheckpoint))
      .sort((a, b) => b.id - a.id),
    savepoints: (await readSavepoints(client, keys)).map(summarizeSavepoint),
  };
}

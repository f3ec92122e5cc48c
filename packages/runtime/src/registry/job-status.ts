import { StreamGenError } from '../util/errors';
import {
  NoCheckpointsError,
  type CheckpointAdmin,
  type JobCheckpoints,
} from '../state/redis/checkpoint-admin';
import { instanceView, type InstanceView } from './instance-record';
import type { InstanceRegistry } from './instance-registry';
import { byTaskId } from './task-order';

/** One task of a job, as its status shows it. */
export interface TaskView {
  readonly task: string;
  /** The running instance that owns it; absent when none does (stopped, moving, or gone). */
  readonly instance?: string;
  /** As that instance last reported them. */
  readonly watermark?: number;
  readonly positions?: Readonly<Record<string, number>>;
  /** The task's latest checkpoint in Redis; absent before its first. */
  readonly checkpoint?: {
    readonly id: number;
    readonly takenAt: number;
    /** Ms since it was taken, by the reader's clock. */
    readonly ageMs: number;
  };
}

/** What `stream-gen status <Job>` shows: the job's instances and each task. */
export interface JobStatus {
  readonly job: string;
  readonly keyPrefix: string;
  /** The reader's clock when it read (epoch ms). */
  readonly at: number;
  readonly instances: readonly InstanceView[];
  /** Every task a running instance owns or Redis holds checkpoints of, by task id. */
  readonly tasks: readonly TaskView[];
}

/** The job has neither an instance in the registry nor checkpoints. */
export class UnknownJobError extends StreamGenError {
  constructor(
    readonly job: string,
    readonly jobs: readonly string[],
  ) {
    super(
      `job "${job}" has no instance in the registry and no checkpoints; jobs registered: ` +
        `${jobs.length > 0 ? jobs.join(', ') : 'none'}. Is the job name right, and ` +
        `STREAM_GEN_NAMESPACE the one the job runs with?`,
    );
  }
}

/**
 * A job's status from both places it is kept: its instances' heartbeats (which tasks
 * each owns, their watermarks and positions, its counters) and its checkpoints (the
 * latest of each task, with the time it was taken). A task two running instances claim
 * (a rebalance between their beats) is shown with the one that beat last.
 */
export async function jobStatus(
  registry: InstanceRegistry,
  checkpoints: CheckpointAdmin,
  job: string,
  now: number,
): Promise<JobStatus> {
  const instances = (await registry.instances(job)).map((r) => instanceView(r, now));
  const stored = await storedCheckpoints(checkpoints, job);
  if (instances.length === 0 && !stored) {
    throw new UnknownJobError(
      job,
      (await registry.jobs()).map((j) => j.job),
    );
  }
  const owned = new Map<string, { instance: InstanceView; at: number }>();
  for (const instance of instances) {
    if (instance.state !== 'running') continue;
    for (const task of instance.tasks) {
      const other = owned.get(task.task);
      if (!other || other.at < instance.lastHeartbeat) {
        owned.set(task.task, { instance, at: instance.lastHeartbeat });
      }
    }
  }
  const latest = new Map(
    (stored?.tasks ?? []).map((t) => [t.task, t.checkpoints.find((c) => c.id === t.latest)]),
  );
  const ids = [...new Set([...latest.keys(), ...owned.keys()])].sort(byTaskId);
  const tasks = ids.map((task): TaskView => {
    const owner = owned.get(task)?.instance;
    const status = owner?.tasks.find((t) => t.task === task);
    const checkpoint = latest.get(task);
    return {
      task,
      ...(owner &&
        status && {
          instance: owner.instance,
          watermark: status.watermark,
          positions: status.positions,
        }),
      ...(checkpoint && {
        checkpoint: {
          id: checkpoint.id,
          takenAt: checkpoint.takenAt,
          ageMs: Math.max(0, now - checkpoint.takenAt),
        },
      }),
    };
  });
  return { job, keyPrefix: registry.keyPrefix, at: now, instances, tasks };
}

/** The job's checkpoints, or undefined when it has none yet. */
async function storedCheckpoints(
  checkpoints: CheckpointAdmin,
  job: string,
): Promise<JobCheckpoints | undefined> {
  try {
    return await checkpoints.inspect(job);
  } catch (error) {
    if (error instanceof NoCheckpointsError) return undefined;
    throw error;
  }
}

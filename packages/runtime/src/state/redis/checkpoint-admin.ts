/**
 * The operator's view of a job's checkpoints in Redis (pattern 8, rewind and
 * restatement): list what every task retains, record named savepoints, and rewind every
 * task of a job to a checkpoint, a savepoint or a point in time. What `stream-gen
 * checkpoints / savepoint / rewind` call.
 *
 * Job-level steps check every task first and change nothing when one of them cannot
 * follow (a checkpoint it no longer retains, a savepoint it lacks); each task's change
 * is then one atomic script. Tasks live in different Cluster slots, so a job-level step
 * is not one transaction: run it with the job stopped (a task that is still running is
 * fenced at its next commit and restarts from the rewound checkpoint).
 */
import { ConfigurationError, StreamGenError } from '../../util/errors';
import { errorMessage } from '../../util/error-message';
import {
  inspectTask,
  summarize,
  type CheckpointSummary,
  type TaskCheckpoints,
} from './checkpoint-inspection';
import { taskKeys } from './redis-keys';
import type { RedisClient } from './redis-scripts';
import { RedisStateBackend } from './redis-state.backend';
import { describeTarget, parseRewindTarget, type RewindTarget } from './rewind-target';
import { checkSavepointName, dropSavepoint, restoreSavepoint, takeSavepoint } from './savepoints';
import { discoverJobs, discoverTasks } from './task-discovery';

export interface CheckpointAdminOptions {
  /** First segment of every key, as the job's backend has it. Default `sg`. */
  readonly keyPrefix?: string;
  /** Time for savepoints (epoch ms). Default Date.now. */
  readonly now?: () => number;
}

export interface JobCheckpoints {
  readonly job: string;
  readonly keyPrefix: string;
  readonly tasks: readonly TaskCheckpoints[];
}

export interface SavepointResult {
  readonly job: string;
  readonly name: string;
  readonly savedAt: number;
  readonly tasks: ReadonlyArray<{
    readonly task: string;
    readonly checkpoint: CheckpointSummary;
    readonly keys: number;
  }>;
}

export interface TaskRewind {
  readonly task: string;
  /** The latest checkpoint before the rewind. */
  readonly from: number | undefined;
  /** The checkpoint the task is at now. */
  readonly to: CheckpointSummary;
}

export interface RewindResult {
  readonly job: string;
  readonly target: RewindTarget;
  readonly tasks: readonly TaskRewind[];
}

/** No task of the job has a checkpoint under this key prefix. */
export class NoCheckpointsError extends StreamGenError {
  constructor(
    readonly job: string,
    readonly keys: string,
    readonly jobs: readonly string[],
  ) {
    super(
      `no checkpoints of job "${job}" in Redis (keys ${keys}); jobs with checkpoints there: ` +
        `${jobs.length > 0 ? jobs.join(', ') : 'none'}. Is the job name right, and ` +
        `STREAM_GEN_NAMESPACE the one the job runs with?`,
    );
  }
}

/** A job-level step that some task cannot follow; nothing was changed. */
export class CheckpointAdminRefusedError extends StreamGenError {
  constructor(
    what: string,
    readonly problems: ReadonlyArray<{ readonly task: string; readonly problem: string }>,
  ) {
    super(
      `${what}; nothing was changed:\n` +
        problems.map(({ task, problem }) => `  task ${task} ${problem}`).join('\n'),
    );
  }
}

const JOB_NAME = /^[A-Za-z_][\w-]*$/;
const iso = (ms: number) => new Date(ms).toISOString();

/** `sp-20240501-100000` (UTC). */
export function defaultSavepointName(now: number): string {
  return `sp-${iso(now).slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;
}

export class CheckpointAdmin {
  readonly keyPrefix: string;
  private readonly backend: RedisStateBackend;
  private readonly now: () => number;

  constructor(
    private readonly client: RedisClient,
    options: CheckpointAdminOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'sg';
    this.now = options.now ?? Date.now;
    this.backend = new RedisStateBackend(client, { keyPrefix: this.keyPrefix });
  }

  /** The keys of a job's tasks, for messages: `sg:{Job:<task>}:*`. */
  keysOf(job: string): string {
    return `${this.keyPrefix}:{${job}:<task>}:*`;
  }

  /** The job's tasks that have checkpoints; throws {@link NoCheckpointsError} when none has. */
  async tasks(job: string): Promise<string[]> {
    if (!JOB_NAME.test(job)) {
      throw new ConfigurationError(
        `job name "${job}" must start with a letter or '_' and hold only letters, digits, '_' or '-'`,
      );
    }
    const tasks = await discoverTasks(this.client, this.keyPrefix, job);
    if (tasks.length === 0) {
      throw new NoCheckpointsError(
        job,
        this.keysOf(job),
        await discoverJobs(this.client, this.keyPrefix),
      );
    }
    return tasks;
  }

  /** Retained checkpoints, state sizes and savepoints of every task of the job. */
  async inspect(job: string): Promise<JobCheckpoints> {
    const tasks = await this.tasks(job);
    return {
      job,
      keyPrefix: this.keyPrefix,
      tasks: await Promise.all(tasks.map((task) => this.inspectTask(job, task))),
    };
  }

  /**
   * Records savepoint `name` for every task of the job: a copy of the task's latest
   * checkpoint and of its state, kept until dropped (retention never removes it). Each
   * task's copy is atomic, so it is consistent even while the job runs; stop the job to
   * have all tasks at the point where it stopped.
   */
  async savepoint(job: string, name?: string): Promise<SavepointResult> {
    const savedAt = this.now();
    const chosen = name ?? defaultSavepointName(savedAt);
    checkSavepointName(chosen);
    const tasks = await this.inspect(job).then((j) => j.tasks);
    const taken = tasks.filter((t) => t.savepoints.some((s) => s.name === chosen));
    if (taken.length > 0) {
      throw new CheckpointAdminRefusedError(
        `cannot record savepoint "${chosen}" of job ${job}: it exists already (drop it first: ` +
          `stream-gen savepoint ${job} --drop ${chosen})`,
        taken.map((t) => ({ task: t.task, problem: `has savepoint "${chosen}"` })),
      );
    }
    const results = await this.eachTask(
      `savepoint "${chosen}" of job ${job}`,
      `drop what was recorded with stream-gen savepoint ${job} --drop ${chosen}`,
      tasks.map((t) => t.task),
      async (task) => {
        const saved = await takeSavepoint(
          this.client,
          taskKeys(this.keyPrefix, { job, task }),
          { job, task },
          chosen,
          savedAt,
        );
        return { task, checkpoint: summarize(saved.checkpoint), keys: saved.keys };
      },
    );
    return { job, name: chosen, savedAt, tasks: results };
  }

  /** Drops savepoint `name` of every task of the job; returns the tasks that had it. */
  async dropSavepoint(job: string, name: string): Promise<string[]> {
    checkSavepointName(name);
    const tasks = await this.tasks(job);
    const dropped = await Promise.all(
      tasks.map((task) =>
        dropSavepoint(this.client, taskKeys(this.keyPrefix, { job, task }), name),
      ),
    );
    const had = tasks.filter((_, i) => dropped[i]);
    if (had.length === 0) {
      throw new StreamGenError(`no task of job ${job} has savepoint "${name}"`);
    }
    return had;
  }

  /**
   * Restores state, timers, watermarks and source positions of every task of the job to
   * `target`: a checkpoint id, or text read by {@link parseRewindTarget} (a checkpoint
   * id, a savepoint name, or a time).
   * Every task is checked first: when one cannot reach the target, nothing changes.
   * Each task's epoch moves on, so a process still running the job is fenced at its
   * next commit.
   */
  async rewind(job: string, target: RewindTarget | string | number): Promise<RewindResult> {
    const to = typeof target === 'object' ? target : parseRewindTarget(String(target));
    const tasks = (await this.inspect(job)).tasks;
    const plan = tasks.map((t) => ({ task: t, checkpoint: checkpointFor(t, to) }));
    const problems = plan.flatMap(({ task, checkpoint }) =>
      typeof checkpoint === 'string' ? [{ task: task.task, problem: checkpoint }] : [],
    );
    // A keyed stage's task `<stage id>/<n>` records the upstream epochs it applied; after
    // a rewind the upstream would commit those epochs again on another timeline, and the
    // exchange still holds the discarded one's: the stage cannot tell them apart yet.
    for (const t of tasks.filter((t) => t.task.includes('/'))) {
      problems.push({
        task: t.task,
        problem:
          'belongs to a keyed stage behind a repartition: rewinding a job with keyed stages is ' +
          'not supported yet; restate it under a new STREAM_GEN_NAMESPACE instead',
      });
    }
    if (problems.length > 0) {
      throw new CheckpointAdminRefusedError(
        `cannot rewind job ${job} to ${describeTarget(to)}`,
        problems,
      );
    }
    const rewound = await this.eachTask(
      `rewind of job ${job} to ${describeTarget(to)}`,
      'run the rewind again (to a target every task still has)',
      plan.map((p) => p.task.task),
      async (task, i) => {
        const scope = { job, task };
        const checkpoint =
          to.kind === 'savepoint'
            ? await restoreSavepoint(this.client, taskKeys(this.keyPrefix, scope), scope, to.name)
            : await this.backend.rewind(scope, plan[i].checkpoint as number);
        return { task, from: plan[i].task.latest, to: summarize(checkpoint) };
      },
    );
    return { job, target: to, tasks: rewound };
  }

  private inspectTask(job: string, task: string): Promise<TaskCheckpoints> {
    return inspectTask(this.client, taskKeys(this.keyPrefix, { job, task }), task);
  }

  /** Runs `step` for every task; when some fail, says which did and did not change. */
  private async eachTask<T>(
    what: string,
    remedy: string,
    tasks: readonly string[],
    step: (task: string, index: number) => Promise<T>,
  ): Promise<T[]> {
    const settled = await Promise.allSettled(tasks.map((task, i) => step(task, i)));
    const failed = settled.flatMap((s, i) =>
      s.status === 'rejected' ? [`task ${tasks[i]}: ${errorMessage(s.reason)}`] : [],
    );
    if (failed.length > 0) {
      const done = tasks.filter((_, i) => settled[i].status === 'fulfilled');
      throw new StreamGenError(
        `${what} failed for ${failed.length} of ${tasks.length} tasks (done: ` +
          `${done.length > 0 ? done.join(', ') : 'none'}); ${remedy}:\n  ${failed.join('\n  ')}`,
      );
    }
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  }
}

/** The checkpoint id the task goes to (savepoint: its checkpoint's), or why it cannot. */
function checkpointFor(task: TaskCheckpoints, target: RewindTarget): number | string {
  const ids = task.checkpoints.map((c) => c.id);
  const retains = `retains ${ids.length > 0 ? `checkpoints ${ids.join(', ')}` : 'no checkpoint'}`;
  switch (target.kind) {
    case 'checkpoint':
      return ids.includes(target.id) ? target.id : `does not retain it: it ${retains}`;
    case 'time': {
      const found = task.checkpoints.find((c) => c.takenAt <= target.at);
      if (found) return found.id;
      const oldest = task.checkpoints[task.checkpoints.length - 1];
      return oldest
        ? `retains no checkpoint that old: its oldest, ${oldest.id}, was taken at ${iso(oldest.takenAt)}`
        : `retains no checkpoint`;
    }
    case 'savepoint': {
      const found = task.savepoints.find((s) => s.name === target.name);
      if (found) return found.checkpoint.id;
      const names = task.savepoints.map((s) => s.name);
      return `has no savepoint "${target.name}" (its savepoints: ${names.length > 0 ? names.join(', ') : 'none'})`;
    }
  }
}

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
 *
 * A job with keyed stages behind a repartition (tasks `<stage id>/<n>`) is stepped
 * through downstream first: each stage's tasks before the tasks that feed them. A
 * savepoint so pairs every stage with upstream copies at or after what it applied, and
 * a rewind that fails half way leaves the tasks that feed the others as they were.
 * Rewinds of such jobs are planned by exchange-rewind.ts (see "Rewind" in
 * task/epoch-gate.ts for why they stay exactly once).
 */
import { ConfigurationError, StreamGenError } from '../../util/errors';
import { errorMessage } from '../../util/error-message';
import {
  inspectTask,
  summarize,
  type CheckpointSummary,
  type TaskCheckpoints,
} from './checkpoint-inspection';
import type { TaskCheckpoint } from '../checkpoint';
import { exchangeTopology, planExchangeRewind, type ExchangeRewindPlan } from './exchange-rewind';
import { taskKeys } from './redis-keys';
import type { RedisClient } from './redis-scripts';
import { RedisStateBackend } from './redis-state.backend';
import { describeTarget, parseRewindTarget, type RewindTarget } from './rewind-target';
import {
  checkSavepointName,
  dropSavepoint,
  readSavepoint,
  restoreSavepoint,
  takeSavepoint,
} from './savepoints';
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
  /**
   * The checkpoint whose state the task has now, when that is not `to.id`: a task that
   * feeds a keyed stage continues after every epoch the rewind discarded (see "Rewind"
   * in task/epoch-gate.ts), so its target is installed under a new id.
   */
  readonly restored?: number;
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
   * have all tasks at the point where it stopped. Keyed stages behind a repartition are
   * copied before the tasks that feed them, so that a savepoint taken while the job runs
   * can be rewound to.
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
      await this.savepointOrder(job, tasks),
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
   * next commit. In a job with keyed stages, a stage's target must not have applied
   * an epoch its upstream tasks' targets do not hold, a task that moved since the
   * rewind was planned is refused, and the targets are installed as exchange-rewind.ts
   * plans them (new ids upstream, void epochs downstream).
   */
  async rewind(job: string, target: RewindTarget | string | number): Promise<RewindResult> {
    const to = typeof target === 'object' ? target : parseRewindTarget(String(target));
    const tasks = (await this.inspect(job)).tasks;
    const plan = new Map(tasks.map((t) => [t.task, { task: t, checkpoint: checkpointFor(t, to) }]));
    const refuse = (problems: ReadonlyArray<{ task: string; problem: string }>) =>
      new CheckpointAdminRefusedError(
        `cannot rewind job ${job} to ${describeTarget(to)}`,
        problems,
      );
    const problems = [...plan.values()].flatMap(({ task, checkpoint }) =>
      typeof checkpoint === 'string' ? [{ task: task.task, problem: checkpoint }] : [],
    );
    if (problems.length > 0) throw refuse(problems);
    const exchanges = tasks.some((t) => t.task.includes('/'))
      ? await this.planExchanges(job, to, plan)
      : undefined;
    if (exchanges && exchanges.problems.length > 0) throw refuse(exchanges.problems);
    const rewound = await this.eachTask(
      `rewind of job ${job} to ${describeTarget(to)}`,
      'run the rewind again (to a target every task still has)',
      tasks.map((t) => t.task),
      exchanges?.levels ?? [tasks.map((t) => t.task)],
      async (task) => {
        const scope = { job, task };
        const { task: before, checkpoint: id } = plan.get(task) as Planned;
        const install = exchanges && {
          planned: before.latest,
          checkpoint: exchanges.installs.get(task),
        };
        const checkpoint =
          to.kind === 'savepoint'
            ? await restoreSavepoint(
                this.client,
                taskKeys(this.keyPrefix, scope),
                scope,
                to.name,
                install,
              )
            : await this.backend.rewind(scope, id as number, install);
        const restored = checkpoint.id !== id ? { restored: id as number } : {};
        return { task, from: before.latest, to: summarize(checkpoint), ...restored };
      },
    );
    return { job, target: to, tasks: rewound };
  }

  /** Reads every task's target whole and plans the rewind of the job's exchanges. */
  private async planExchanges(
    job: string,
    to: RewindTarget,
    plan: ReadonlyMap<string, Planned>,
  ): Promise<ExchangeRewindPlan> {
    const targets = await Promise.all(
      [...plan.values()].map(async ({ task, checkpoint }) => ({
        task: task.task,
        latest: task.latest,
        checkpoint:
          to.kind === 'savepoint'
            ? await this.savedCheckpoint(job, task.task, to.name)
            : await this.storedCheckpoint(job, task.task, checkpoint as number),
      })),
    );
    return planExchangeRewind(targets);
  }

  /** The order to copy the tasks in: keyed stages before the tasks that feed them. */
  private async savepointOrder(
    job: string,
    tasks: readonly TaskCheckpoints[],
  ): Promise<readonly (readonly string[])[]> {
    if (!tasks.some((t) => t.task.includes('/'))) return [tasks.map((t) => t.task)];
    const latest = await Promise.all(
      tasks.map(async (t) => ({
        task: t.task,
        checkpoint: await this.storedCheckpoint(job, t.task, t.latest ?? 0),
      })),
    );
    return exchangeTopology(latest).levels;
  }

  private async storedCheckpoint(job: string, task: string, id: number): Promise<TaskCheckpoint> {
    const keys = taskKeys(this.keyPrefix, { job, task });
    const json = await this.client.hget(keys.checkpoints, String(id));
    if (json === null) {
      throw new StreamGenError(
        `task ${job}/${task}: ${keys.checkpoints} holds no checkpoint ${id}`,
      );
    }
    return JSON.parse(json) as TaskCheckpoint;
  }

  private async savedCheckpoint(job: string, task: string, name: string): Promise<TaskCheckpoint> {
    const saved = await readSavepoint(this.client, taskKeys(this.keyPrefix, { job, task }), name);
    if (!saved) throw new StreamGenError(`task ${job}/${task} has no savepoint "${name}"`);
    return saved.checkpoint;
  }

  private inspectTask(job: string, task: string): Promise<TaskCheckpoints> {
    return inspectTask(this.client, taskKeys(this.keyPrefix, { job, task }), task);
  }

  /**
   * Runs `step` for every task, level after level (the tasks of a level at once); when
   * some fail, stops after their level and says which tasks did and did not change.
   * Results come in the order of `tasks`, which `levels` orders.
   */
  private async eachTask<T>(
    what: string,
    remedy: string,
    tasks: readonly string[],
    levels: readonly (readonly string[])[],
    step: (task: string) => Promise<T>,
  ): Promise<T[]> {
    const done: string[] = [];
    const failed: string[] = [];
    const results = new Map<string, T>();
    for (const level of levels) {
      const settled = await Promise.allSettled(level.map((task) => step(task)));
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled') {
          done.push(level[i]);
          results.set(level[i], s.value);
        } else failed.push(`task ${level[i]}: ${errorMessage(s.reason)}`);
      });
      if (failed.length > 0) break;
    }
    if (failed.length > 0) {
      const untouched = tasks.length - done.length - failed.length;
      throw new StreamGenError(
        `${what} failed for ${failed.length} of ${tasks.length} tasks (done: ` +
          `${done.length > 0 ? done.join(', ') : 'none'}` +
          `${untouched > 0 ? `; not started: ${untouched}` : ''}); ${remedy}:\n  ${failed.join('\n  ')}`,
      );
    }
    return tasks.map((task) => results.get(task) as T);
  }
}

interface Planned {
  readonly task: TaskCheckpoints;
  readonly checkpoint: number | string;
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

/**
 * How a rewind of a job with keyed stages behind a repartition keeps the exchanges
 * exactly once (the argument is "Rewind" in task/epoch-gate.ts): which tasks feed which,
 * the consistency check between each downstream target and its upstream targets, and the
 * checkpoint each task gets installed in place of its target (a new id for a task that
 * feeds an exchange and moves back; the void epochs for a task behind one). Pure: the
 * caller reads the checkpoints and runs the installs.
 */
import type { EpochRange, TaskCheckpoint, VoidEpochs } from '../checkpoint';
import { inRanges, mergeRanges, rangesAbove } from '../epoch-ranges';

/** One task's checkpoint, as the plan reads it. */
export interface TaskAt {
  readonly task: string;
  readonly checkpoint: TaskCheckpoint;
}

export interface RewindPlanTask extends TaskAt {
  /** The task's latest checkpoint id before the rewind. */
  readonly latest: number | undefined;
}

export interface TaskProblem {
  readonly task: string;
  readonly problem: string;
}

/** Which tasks feed which, from the checkpoints' `stream` and `exchangeSource`. */
export interface ExchangeTopology {
  /** Per task behind a repartition: the task id of each upstream task, by its partition. */
  readonly upstreams: ReadonlyMap<string, ReadonlyMap<number, string>>;
  /** Tasks in the order to copy or rewind them: the last stage first, the sources' tasks last. */
  readonly levels: readonly (readonly string[])[];
  readonly problems: readonly TaskProblem[];
}

export interface ExchangeRewindPlan {
  /** Per task, the checkpoint that takes its target's place (absent: the target as stored). */
  readonly installs: ReadonlyMap<string, TaskCheckpoint>;
  readonly levels: readonly (readonly string[])[];
  readonly problems: readonly TaskProblem[];
}

/** `top-auction/2` is partition 2 of segment `top-auction`; `3` is partition 3 of the first. */
function segmentOf(task: string): { segment: string; partition: number } {
  const cut = task.lastIndexOf('/');
  return { segment: task.slice(0, cut + 1), partition: Number(task.slice(cut + 1)) };
}

const OLDER =
  'written by an older stream-gen; rewind to a checkpoint taken since, or restate the job ' +
  'under a new STREAM_GEN_NAMESPACE';

/**
 * Pairs every task behind a repartition (`<stage id>/<n>`) with the tasks whose main
 * output is the stream it reads through its exchange.
 */
export function exchangeTopology(tasks: readonly TaskAt[]): ExchangeTopology {
  const problems: TaskProblem[] = [];
  const writers = new Map<string, Set<string>>(); // stream -> segments whose output it is
  const bySegment = new Map<string, TaskAt[]>();
  for (const t of tasks) {
    const { segment } = segmentOf(t.task);
    bySegment.set(segment, [...(bySegment.get(segment) ?? []), t]);
    const stream = t.checkpoint.stream;
    if (stream !== undefined) writers.set(stream, (writers.get(stream) ?? new Set()).add(segment));
  }
  const feeder = new Map<string, string>(); // segment -> the segment that feeds it
  const upstreams = new Map<string, Map<number, string>>();
  for (const [segment, members] of bySegment) {
    if (segment === '') continue;
    for (const t of members) {
      const source = t.checkpoint.exchangeSource;
      if (source === undefined) {
        problems.push({
          task: t.task,
          problem: `is behind a repartition, but its checkpoint ${t.checkpoint.id} does not say which stream it reads: it was ${OLDER}`,
        });
        continue;
      }
      const from = [...(writers.get(source) ?? [])].filter((s) => s !== segment);
      if (from.length !== 1) {
        problems.push({
          task: t.task,
          problem:
            from.length === 0
              ? `reads stream "${source}" through a repartition, but no task's checkpoint says it writes "${source}": checkpoints ${OLDER}`
              : `reads stream "${source}" through a repartition, which the tasks of ${from.length} segments say they write`,
        });
        continue;
      }
      feeder.set(segment, from[0]);
      const byPartition = new Map<number, string>();
      for (const up of bySegment.get(from[0]) ?? []) {
        byPartition.set(segmentOf(up.task).partition, up.task);
      }
      upstreams.set(t.task, byPartition);
    }
  }
  // the first segment is level 0, each stage one more than the segment that feeds it
  // (a stage whose feeder is unknown counts as level 1)
  const level = (segment: string, seen = new Set<string>()): number => {
    if (segment === '') return 0;
    const from = feeder.get(segment);
    if (from === undefined || seen.has(segment)) return 1;
    return level(from, seen.add(segment)) + 1;
  };
  const levels: string[][] = [];
  for (const [segment, members] of bySegment) {
    const at = level(segment);
    (levels[at] ??= []).push(...members.map((m) => m.task));
  }
  return { upstreams, levels: levels.filter((l) => l !== undefined).reverse(), problems };
}

/**
 * The plan of a rewind: each task's target checked against the targets of the tasks
 * that feed it, and the checkpoint to install in its place.
 */
export function planExchangeRewind(tasks: readonly RewindPlanTask[]): ExchangeRewindPlan {
  const topology = exchangeTopology(tasks);
  const problems = [...topology.problems];
  const byTask = new Map(tasks.map((t) => [t.task, t]));
  const feeding = new Set([...topology.upstreams.values()].flatMap((m) => [...m.values()]));
  // per upstream task: the id it goes to, and the epochs not in the history it keeps
  const lineage = new Map<string, { installedAs: number; voids: EpochRange[] }>();
  const installs = new Map<string, TaskCheckpoint>();
  for (const task of feeding) {
    const { checkpoint: target, latest } = byTask.get(task) as RewindPlanTask;
    const moved = latest !== undefined && latest !== target.id;
    // above every epoch the discarded timeline opened (see epoch-gate.ts)
    const installedAs = moved ? Math.max(latest, target.id) + 2 : target.id;
    const skipped = mergeRanges(
      target.skippedEpochs,
      moved ? [[target.id, installedAs] as const] : [],
    );
    lineage.set(task, { installedAs, voids: skipped });
    if (moved) {
      installs.set(task, { ...target, id: installedAs, skippedEpochs: skipped });
    }
  }
  for (const [task, upstream] of topology.upstreams) {
    const { checkpoint: target } = byTask.get(task) as RewindPlanTask;
    const voids: Record<string, readonly EpochRange[]> = {};
    for (const [partition, upTask] of upstream) {
      const up = byTask.get(upTask) as RewindPlanTask;
      const applied = target.exchange?.[String(partition)]?.epoch ?? 0;
      const problem = inconsistency(target, applied, up);
      if (problem) problems.push({ task, problem });
      const ahead = rangesAbove(lineage.get(upTask)?.voids, applied);
      if (ahead.length > 0) voids[String(partition)] = ahead;
    }
    for (const partition of Object.keys(target.exchange ?? {})) {
      if (!upstream.has(Number(partition))) {
        problems.push({
          task,
          problem: `applied epochs of upstream task ${partition}, of which no task has checkpoints`,
        });
      }
    }
    if (!sameVoids(target.voidEpochs, voids)) {
      const { voidEpochs: _, ...rest } = installs.get(task) ?? target;
      installs.set(task, Object.keys(voids).length > 0 ? { ...rest, voidEpochs: voids } : rest);
    }
  }
  return { installs, levels: topology.levels, problems };
}

/** Why a downstream target does not go with its upstream's target, if it does not. */
function inconsistency(
  target: TaskCheckpoint,
  applied: number,
  up: RewindPlanTask,
): string | undefined {
  const upTarget = up.checkpoint;
  const remedy =
    'its state would hold input that task processes again; rewind to a time or a savepoint, ' +
    'which pair each stage with checkpoints of the tasks that feed it';
  if (applied > upTarget.id) {
    return `goes to checkpoint ${target.id}, which applied epoch ${applied} of upstream task ${up.task}, but task ${up.task} goes to checkpoint ${upTarget.id}: ${remedy}`;
  }
  if (inRanges(upTarget.skippedEpochs, applied)) {
    return `goes to checkpoint ${target.id}, which applied epoch ${applied} of upstream task ${up.task}, an epoch that a rewind discarded before checkpoint ${upTarget.id} of task ${up.task}: ${remedy}`;
  }
  return undefined;
}

function sameVoids(a: VoidEpochs | undefined, b: VoidEpochs): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b);
}

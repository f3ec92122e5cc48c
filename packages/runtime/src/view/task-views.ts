import type { JobSpec } from '../job/job-spec';
import type { StateWrite, TaskScope, TaskStateStore } from '../state/state-backend';
import type { Clock } from '../time/clock';
import type { Logger } from '../util/logger';
import { errorMessage } from '../util/error-message';
import { ConfigurationError } from '../util/errors';
import { RetriesExhausted, retrying } from '../util/retry';
import type { ViewCache, ViewEntry, ViewVersion } from '../connectors/view-cache/view-cache';
import type { PublishedView } from './view-spec';

/** A view of this task: the state it publishes under the name the task stores it by. */
interface TaskView {
  /** `<stage id>.<state>` for a fused stage's state, the state's own name otherwise. */
  readonly state: string;
  readonly name: string;
  readonly cache: ViewCache;
}

export interface TaskViewsOptions {
  readonly scope: TaskScope;
  readonly store: TaskStateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a failing publish is retried with backoff before the checkpoint fails (ms). */
  readonly retryBudgetMs: number;
  /** True once the task is given up (the job stops, the task moved): a failing publish is left to its next opening. */
  readonly givenUp?: () => boolean;
}

/**
 * Publishes a task's views: after each commit the keys its checkpoint wrote, versioned
 * `(lineage, checkpoint id)`, so the cache only ever moves forward along the task's
 * history.
 *
 * Why this is exact. What is published is what a checkpoint committed, never state a
 * crash can take back; each key carries the version it was written at, and the cache
 * keeps the newer one (a replay writes the same value at the same version; a stale
 * owner's publish of an older checkpoint loses). The task's marker in the cache says
 * which checkpoint was published whole. When the task opens on a checkpoint that is not
 * the marker's (it died during a publish, or it was rewound, which moves the lineage
 * on), it republishes every key of the state at the restored version and removes the
 * keys it wrote before that the restored state no longer has. A task with no checkpoint
 * starts a history of its own: what it wrote before is removed.
 */
export class TaskViews {
  /** The task started with no checkpoint and has not committed yet (see {@link restored}). */
  private newHistory = false;

  private constructor(
    private readonly views: readonly TaskView[],
    private readonly options: TaskViewsOptions,
  ) {}

  /** The views of `job` (a segment's job) that this task holds the state of, or undefined. */
  static of(
    job: JobSpec,
    views: readonly PublishedView[] | undefined,
    options: TaskViewsOptions,
  ): TaskViews | undefined {
    const own = (views ?? []).flatMap(({ spec, cache }): TaskView[] => {
      const name = `${spec.stage}.${spec.state}`;
      if (spec.stage === job.operator?.name) return [{ state: spec.state, name, cache }];
      const fused = job.keyedStages?.some((s) => s.id === spec.stage && s.sameKey === true);
      return fused ? [{ state: name, name, cache }] : [];
    });
    return own.length > 0 ? new TaskViews(own, options) : undefined;
  }

  /** The task restored `checkpoint` (0: none) of `lineage`: bring the cache to it. */
  async restored(lineage: number, checkpoint: number): Promise<void> {
    const version: ViewVersion = { lineage, checkpoint };
    const { scope, logger } = this.options;
    // A task with no checkpoint starts a history: its first commit republishes (what it
    // wrote, and nothing of the history before, whose versions are all older). Not now:
    // until a commit of its own succeeded, another process that has not seen the task
    // move may still commit and publish, and its keys must stay.
    this.newHistory = checkpoint === 0;
    if (this.newHistory) return;
    for (const view of this.views) {
      await this.retried(view, async () => {
        const marker = await view.cache.published(scope);
        if (marker?.lineage === lineage && marker.checkpoint === checkpoint) return;
        const result = await view.cache.republish(scope, version, this.stateOf(view));
        logger.info(
          `view ${view.name} of task ${scope.task}: republished checkpoint ${checkpoint} (lineage ${lineage}): ` +
            `${result.written} key(s) written, ${result.removed} removed` +
            (marker
              ? ` (the cache had checkpoint ${marker.checkpoint} of lineage ${marker.lineage})`
              : ''),
        );
      });
    }
  }

  /**
   * What a checkpoint publishes, taken with its snapshot: the views' entries among the
   * writes, copied, since the task goes on changing the cached values in place while
   * the commit is in flight (a map's `put`, a list's `add`).
   */
  entriesOf(writes: readonly StateWrite[]): ReadonlyMap<TaskView, ViewEntry[]> {
    const entries = new Map<TaskView, ViewEntry[]>();
    for (const view of this.views) {
      const own: ViewEntry[] = [];
      for (const w of writes) {
        if (w.state !== view.state) continue;
        const value = w.entry?.value;
        own.push({ key: w.key, value: value === undefined ? undefined : structuredClone(value) });
      }
      entries.set(view, own);
    }
    return entries;
  }

  /** Checkpoint `checkpoint` of `lineage` committed: publish what {@link entriesOf} took of it. */
  async committed(
    lineage: number,
    checkpoint: number,
    entries: ReadonlyMap<TaskView, ViewEntry[]>,
  ): Promise<void> {
    const version: ViewVersion = { lineage, checkpoint };
    const { scope, logger } = this.options;
    for (const [view, own] of entries) {
      await this.retried(view, async () => {
        if (!this.newHistory) return view.cache.publish(scope, version, own);
        const result = await view.cache.republish(scope, version, chunks([own]));
        if (result.removed > 0) {
          logger.info(
            `view ${view.name} of task ${scope.task}: a new history, removed the ${result.removed} key(s) published before it`,
          );
        }
      });
    }
    this.newHistory = false;
  }

  /** The state of a view as the store holds it (the restored checkpoint), expired entries left out. */
  private async *stateOf(view: TaskView): AsyncIterable<ViewEntry[]> {
    const now = this.options.clock.now();
    for await (const chunk of this.options.store.scan(view.state)) {
      yield chunk
        .filter(([, entry]) => entry.expiresAt === undefined || entry.expiresAt > now)
        .map(([key, entry]) => ({ key, value: entry.value }));
    }
  }

  /**
   * Retries a failing publish with backoff for the retry budget; not an error the cache
   * will give again (a key of another type, a key it refuses), and not once the task is
   * given up (stopped, revoked): its next opening republishes, since the marker did not
   * move.
   */
  private async retried(view: TaskView, publish: () => Promise<unknown>): Promise<void> {
    const { scope, logger, retryBudgetMs, givenUp } = this.options;
    try {
      await retrying(publish, {
        firstWaitMs: 100,
        maxWaitMs: 5000,
        budgetMs: retryBudgetMs,
        final: (error) => permanent(error) || (givenUp?.() ?? false),
        onRetry: (error, attempt, waitMs) =>
          logger.warn(
            `view ${view.name} of task ${scope.task}: publish to ${view.cache.describe()} failed ` +
              `(attempt ${attempt}: ${errorMessage(error)}); retrying in ${waitMs} ms`,
          ),
      });
    } catch (error) {
      const cause = error instanceof RetriesExhausted ? error.lastError : error;
      if (!givenUp?.() || permanent(cause)) {
        throw new Error(
          `view ${view.name} of task ${scope.task}: publish to ${view.cache.describe()} failed: ${errorMessage(cause)}`,
          { cause: error },
        );
      }
      // the marker did not move: the task's next opening republishes
      logger.warn(
        `view ${view.name} of task ${scope.task}: publish given up, the task stops (${errorMessage(cause)}); its next opening republishes`,
      );
    }
  }
}

async function* chunks<T>(all: readonly T[]): AsyncIterable<T> {
  yield* all;
}

/** An error the cache gives whatever the retries: a key of the wrong type, a refused key or value. */
function permanent(error: unknown): boolean {
  if (
    error instanceof ConfigurationError ||
    error instanceof TypeError ||
    error instanceof RangeError
  ) {
    return true;
  }
  return /WRONGTYPE|SGTYPE/.test(errorMessage(error));
}

import type { JobSpec } from '../job/job-spec';
import type { StateWrite, TaskScope, TaskStateStore } from '../state/state-backend';
import type { Clock } from '../time/clock';
import type { Logger } from '../util/logger';
import { errorMessage } from '../util/error-message';
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
    for (const view of this.views) {
      await this.retried(view, async () => {
        if (checkpoint === 0) {
          const removed = await view.cache.reset(scope);
          if (removed > 0) {
            logger.info(
              `view ${view.name} of task ${scope.task}: no checkpoint, removed the ${removed} key(s) it published before`,
            );
          }
          return;
        }
        const marker = await view.cache.published(scope);
        if (marker?.lineage === lineage && marker.checkpoint === checkpoint) return;
        const result = await view.cache.republish(scope, version, this.entriesOf(view));
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

  /** Checkpoint `checkpoint` of `lineage` committed `writes`: publish the views' keys among them. */
  async committed(
    lineage: number,
    checkpoint: number,
    writes: readonly StateWrite[],
  ): Promise<void> {
    const version: ViewVersion = { lineage, checkpoint };
    for (const view of this.views) {
      const entries: ViewEntry[] = [];
      for (const w of writes) {
        if (w.state === view.state) entries.push({ key: w.key, value: w.entry?.value });
      }
      await this.retried(view, () => view.cache.publish(this.options.scope, version, entries));
    }
  }

  /** The state of a view as the store holds it (the restored checkpoint), expired entries left out. */
  private async *entriesOf(view: TaskView): AsyncIterable<ViewEntry[]> {
    const now = this.options.clock.now();
    for await (const chunk of this.options.store.scan(view.state)) {
      yield chunk
        .filter(([, entry]) => entry.expiresAt === undefined || entry.expiresAt > now)
        .map(([key, entry]) => ({ key, value: entry.value }));
    }
  }

  private retried<T>(view: TaskView, publish: () => Promise<T>): Promise<T> {
    const { scope, logger, retryBudgetMs } = this.options;
    return retrying(publish, {
      firstWaitMs: 100,
      maxWaitMs: 5000,
      budgetMs: retryBudgetMs,
      onRetry: (error, attempt, waitMs) =>
        logger.warn(
          `view ${view.name} of task ${scope.task}: publish to ${view.cache.describe()} failed ` +
            `(attempt ${attempt}: ${errorMessage(error)}); retrying in ${waitMs} ms`,
        ),
    }).catch((error: unknown) => {
      const cause = error instanceof RetriesExhausted ? error.lastError : error;
      throw new Error(
        `view ${view.name} of task ${scope.task}: publish to ${view.cache.describe()} failed: ${errorMessage(cause)}`,
        { cause },
      );
    });
  }
}

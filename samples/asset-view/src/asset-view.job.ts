import {
  KeyBy,
  ProcessElement,
  Sink,
  Source,
  State,
  StreamJob,
  Union,
} from '@stream-gen/annotations';
import type { ElementContext, MapState } from '@stream-gen/runtime';
import { viewKey, type AssetEvent } from './model';

/**
 * Pattern 5 of the talk: for each CDN, where every movie's assets are, folded from add
 * and delete events and unioned with full publishes (a snapshot of every asset that
 * exists, all `added` at the snapshot's time), published to a Redis cache that playback
 * clients read (`HGET assets:<cdn>:<movieId> value`).
 *
 * The fold is last-writer-wins per asset: the record with the greatest event time holds,
 * a delete winning a tie. So it does not depend on the order the two inputs interleave
 * in, and late records are folded like any other (`lateElements: 'process'`). A full
 * publish taken at T restores every asset it lists unless a delete after T removed it;
 * an asset it does not list is left as the events made it (a snapshot read while events
 * flow may miss an asset added after it was taken: deletes are the events' job).
 */
@StreamJob({ name: 'AssetView', deadLetters: 'dead-letters', checkpointInterval: '1s' })
@Source<AssetEvent>('asset-events', {
  eventTime: 'ts',
  maxOutOfOrderness: '5s',
  idleTimeout: '2s',
  partitionedByKey: true,
})
@Source<AssetEvent>('full-publish', {
  eventTime: 'ts',
  maxOutOfOrderness: '5s',
  idleTimeout: '2s',
  partitionedByKey: true,
})
@Sink('dead-letters')
@Union({ inputs: ['asset-events', 'full-publish'], lateElements: 'process' })
export class AssetView {
  /** Asset id → event time of the add that holds it: the view, at `assets:<cdn>:<movieId>`. */
  @State({ publish: { prefix: 'assets' } }) private assets!: MapState<number>;
  /**
   * Asset id → event time of its latest delete, so that an older add cannot bring it
   * back; forgotten 7 days after the key's last delete (records that late are not expected).
   */
  @State({ ttl: '7d' }) private deletes!: MapState<number>;

  @ProcessElement()
  @KeyBy((e: AssetEvent) => `${e.cdn}:${e.movieId}`)
  onChange(e: AssetEvent, _ctx: ElementContext<never>): void {
    const added = this.assets.get(e.assetId);
    const deleted = this.deletes.get(e.assetId);
    const latest = Math.max(added ?? -Infinity, deleted ?? -Infinity);
    if (e.op === 'added') {
      // an add wins only over older records: at the same time, a delete holds
      if (e.ts <= latest) return;
      this.assets.put(e.assetId, e.ts);
      if (deleted !== undefined) this.deletes.remove(e.assetId);
    } else {
      if (e.ts < latest || (deleted !== undefined && e.ts <= deleted)) return;
      this.deletes.put(e.assetId, e.ts);
      if (added !== undefined) this.assets.remove(e.assetId);
    }
  }
}

/** The cache key of a (cdn, movieId) under the job's prefix. */
export const cacheKey = (e: { cdn: string; movieId: string }, prefix = 'assets') =>
  `${prefix}:${viewKey(e)}`;

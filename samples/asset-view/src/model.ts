/**
 * A change to where an asset of a movie is stored: a copy on a CDN added or deleted
 * (the source `asset-events`). A full publish (the source `full-publish`) is made of
 * the same records, all `added`, all stamped with the snapshot's time.
 */
export interface AssetEvent {
  /** e.g. `a-00042`. */
  assetId: string;
  /** e.g. `m-017`. */
  movieId: string;
  /** e.g. `cdn-3`. */
  cdn: string;
  op: 'added' | 'deleted';
  /** Event time, epoch ms. */
  ts: number;
}

/**
 * What the view holds for one key, as published to the cache: each asset present, with
 * the event time of the add that holds it.
 */
export type CachedAssets = Record<string, number>;

/** The key of the view: one entry per (cdn, movieId), written `${cdn}:${movieId}`. */
export function viewKey(e: { cdn: string; movieId: string }): string {
  return `${e.cdn}:${e.movieId}`;
}

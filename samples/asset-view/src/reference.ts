import { viewKey, type AssetEvent, type CachedAssets } from './model';

/**
 * Whether `a` overrides `b` for the same asset of a key: the later event time wins, and
 * at equal times a delete wins over an add. A total order on the records of one asset
 * (two adds at one time hold the asset alike), so the fold below does not depend on the
 * order it reads them in: any interleaving of events and full publishes gives one view.
 */
function overrides(a: AssetEvent, b: AssetEvent): boolean {
  return a.ts > b.ts || (a.ts === b.ts && a.op === 'deleted' && b.op === 'added');
}

/**
 * What the cache must hold once the job has read `records` (events and full publishes
 * alike), computed as a batch: per key, the assets whose winning record is an add,
 * each with that add's time. Keys with no asset present are absent.
 */
export function foldAssets(records: Iterable<AssetEvent>): Map<string, CachedAssets> {
  const winners = new Map<string, Map<string, AssetEvent>>();
  for (const r of records) {
    const key = viewKey(r);
    let perAsset = winners.get(key);
    if (!perAsset) winners.set(key, (perAsset = new Map()));
    const held = perAsset.get(r.assetId);
    if (!held || overrides(r, held)) perAsset.set(r.assetId, r);
  }
  const view = new Map<string, CachedAssets>();
  for (const [key, perAsset] of winners) {
    const assets: CachedAssets = {};
    for (const [assetId, r] of perAsset) if (r.op === 'added') assets[assetId] = r.ts;
    if (Object.keys(assets).length > 0) view.set(key, assets);
  }
  return view;
}

/**
 * The view as a plain object, keys and asset ids sorted: the same view gives the same
 * JSON, and a failed comparison in a test shows a readable diff.
 */
export function sortedView(view: ReadonlyMap<string, CachedAssets>): Record<string, CachedAssets> {
  const out: Record<string, CachedAssets> = {};
  for (const key of [...view.keys()].sort()) {
    const assets = view.get(key)!;
    out[key] = Object.fromEntries(
      Object.keys(assets)
        .sort()
        .map((id) => [id, assets[id]]),
    );
  }
  return out;
}

import type { Conversion, Impression, Play } from './model';

/**
 * The conversion of a play given candidate impressions of its key: those with
 * `play.ts - windowMs <= ts <= play.ts` count; the last one is the greatest ts, ties
 * broken by the greatest impressionId. Shared by the streaming job and the batch
 * reference, so both apply the same rule.
 */
export function toConversion(
  play: Play,
  impressions: readonly Impression[],
  windowMs: number,
): Conversion {
  let count = 0;
  let first: number | null = null;
  let last: Impression | null = null;
  for (const i of impressions) {
    if (i.ts < play.ts - windowMs || i.ts > play.ts) continue;
    count++;
    if (first === null || i.ts < first) first = i.ts;
    if (!last || i.ts > last.ts || (i.ts === last.ts && i.impressionId > last.impressionId))
      last = i;
  }
  return {
    playId: play.playId,
    profileId: play.profileId,
    titleId: play.titleId,
    playTs: play.ts,
    impressionCount: count,
    firstImpressionTs: first,
    lastImpressionId: last?.impressionId ?? null,
    lastImpressionRow: last?.row ?? null,
    lastImpressionRank: last?.rank ?? null,
  };
}

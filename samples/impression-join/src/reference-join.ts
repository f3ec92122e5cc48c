import { toConversion } from './conversion';
import { joinKey, type Conversion, type Impression, type Play } from './model';

/** The batch answer: every play joined with all impressions of its key, no time involved. */
export function referenceJoin(
  impressions: readonly Impression[],
  plays: readonly Play[],
  windowMs = 3_600_000,
): Conversion[] {
  const byKey = new Map<string, Impression[]>();
  for (const i of impressions) {
    const list = byKey.get(joinKey(i));
    if (list) list.push(i);
    else byKey.set(joinKey(i), [i]);
  }
  return plays.map((p) => toConversion(p, byKey.get(joinKey(p)) ?? [], windowMs));
}

/** Epoch ranges `(after, through]`: what a rewind discarded of an upstream task's epochs. */
import type { EpochRange } from './checkpoint';

/** True when `epoch` lies in one of `ranges`. */
export function inRanges(ranges: readonly EpochRange[] | undefined, epoch: number): boolean {
  return ranges?.some(([after, through]) => epoch > after && epoch <= through) ?? false;
}

/** The ranges of every list, overlapping and adjacent ones joined, in order; empty ones left out. */
export function mergeRanges(
  ...lists: ReadonlyArray<readonly EpochRange[] | undefined>
): EpochRange[] {
  const all = lists.flatMap((l) => l ?? []).filter(([after, through]) => through > after);
  all.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [after, through] of all) {
    const last = out[out.length - 1];
    if (last && after <= last[1]) last[1] = Math.max(last[1], through);
    else out.push([after, through]);
  }
  return out;
}

/** The parts of `ranges` above `epoch`. */
export function rangesAbove(
  ranges: readonly EpochRange[] | undefined,
  epoch: number,
): EpochRange[] {
  return mergeRanges(ranges).flatMap(([after, through]): EpochRange[] =>
    through > epoch ? [[Math.max(after, epoch), through]] : [],
  );
}

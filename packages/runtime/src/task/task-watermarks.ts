import type { SourceSpec } from '../job/job-spec';
import { WatermarkTracker, type WatermarkPolicy } from '../time/watermark-tracker';

/** Sources a task reads whole, with their partition counts (see `StreamTaskOptions.rekeyed`). */
export type WholeSources = Readonly<Record<string, number>> | undefined;

/**
 * A task's watermark inputs: one per source with event time; a source read whole has
 * one per partition (`<source>@<partition>`), each holding the watermark back on its own.
 */
export function taskWatermarks(
  sources: readonly SourceSpec[],
  whole: WholeSources,
  now: number,
): WatermarkTracker {
  const policies: Record<string, WatermarkPolicy> = {};
  for (const s of sources) {
    if (!s.eventTime) continue;
    const partitions = whole?.[s.name];
    if (partitions === undefined) policies[s.name] = s.eventTime;
    else for (let p = 0; p < partitions; p++) policies[`${s.name}@${p}`] = s.eventTime;
  }
  return new WatermarkTracker(policies, now);
}

/**
 * A source reached its end: its watermark input becomes the end of time; for a source
 * read whole, that of `partition`, or of every partition without one.
 */
export function endSourceWatermark(
  watermarks: WatermarkTracker,
  spec: SourceSpec,
  whole: WholeSources,
  partition?: number,
): void {
  if (!spec.eventTime) return;
  const source = spec.name;
  const partitions = whole?.[source];
  if (partitions !== undefined && partition === undefined) {
    for (let p = 0; p < partitions; p++) watermarks.end(`${source}@${p}`);
  } else {
    watermarks.end(partitions === undefined ? source : `${source}@${partition}`);
  }
}

import { round, type WorkloadResult } from '../results';

/** Microseconds of the job process's CPU per event. */
export function cpuUsPerEvent(result: WorkloadResult): number {
  return round(1e6 / result.eventsPerCpuSecond, 2);
}

/**
 * The result with its CPU per event in the details and a note comparing it with each of
 * `references` (measured in the same run; undefined: not run, left out): events/s as a
 * ratio to theirs, and the CPU per event against theirs. `extra` ends the note.
 */
export function withPerEventCost(
  result: WorkloadResult,
  references: ReadonlyArray<WorkloadResult | undefined>,
  extra = '',
): WorkloadResult {
  const us = cpuUsPerEvent(result);
  const ratios: Record<string, number> = {};
  const against = references.flatMap((ref) => {
    if (!ref) return [];
    const name = ref.entry.workload;
    const ratio = round(result.entry.eventsPerSec / ref.entry.eventsPerSec, 3);
    const delta = round(us - cpuUsPerEvent(ref), 2);
    ratios[name] = ratio;
    return [
      `${ratio} × ${name}'s events/s, CPU/event ${delta >= 0 ? '+' : ''}${delta} µs over its ${cpuUsPerEvent(ref)}`,
    ];
  });
  return {
    ...result,
    details: { ...result.details, cpuUsPerEvent: us, ratioTo: ratios },
    notes: [
      ...result.notes,
      `${result.entry.workload}: ${result.entry.eventsPerSec} events/s, ${us} µs of job CPU per event` +
        (against.length > 0 ? `; ${against.join('; ')}` : '') +
        extra,
    ],
  };
}

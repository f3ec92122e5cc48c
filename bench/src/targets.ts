import { markdownTable, type ResultEntry, type WorkloadResult } from './results';

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
}

/** The targets of the issue. The bench reports them; it does not fail on them. */
export function checkTargets(
  entries: readonly ResultEntry[],
  results: readonly WorkloadResult[],
  joinRuns: number,
): TargetCheck[] {
  const entry = (w: string) => entries.find((e) => e.workload === w);
  const perCore = results.find((r) => r.entry.workload === 'join-embedded')?.eventsPerCpuSecond;
  const check = (
    target: string,
    value: number | null | undefined,
    ok: (v: number) => boolean,
    show: (v: number) => string,
  ): TargetCheck =>
    value === null || value === undefined
      ? { target, measured: 'not measured', met: undefined }
      : { target, measured: show(value), met: ok(value) };
  const ratio = (v: number) => `${v.toFixed(3)} × raw-consume`;
  return [
    check(
      'stateless-kafka ≥ 0.8 × raw-consume',
      entry('stateless-kafka')?.ratioToRawConsume,
      (v) => v >= 0.8,
      ratio,
    ),
    check(
      'join-kafka-redis ≥ 0.5 × raw-consume',
      entry('join-kafka-redis')?.ratioToRawConsume,
      (v) => v >= 0.5,
      ratio,
    ),
    check(
      'checkpoint overhead ≤ 5 %',
      entry('join-kafka-redis')?.checkpointOverhead,
      (v) => v <= 0.05,
      (v) => `${(v * 100).toFixed(1)} %${joinRuns > 1 ? '' : ' (one run each: ±10 %)'}`,
    ),
    check(
      'join Redis round trips per event ≤ 0.05',
      entry('join-kafka-redis')?.redisRoundTripsPerEvent,
      (v) => v <= 0.05,
      (v) => v.toFixed(4),
    ),
    check(
      'join-embedded ≥ 300k events/s per core',
      perCore,
      (v) => v >= 300_000,
      (v) => `${Math.round(v).toLocaleString('en-US')} events/s per core`,
    ),
  ];
}

export function targetsTable(checks: readonly TargetCheck[]): string {
  return markdownTable(
    ['target', 'measured', 'met'],
    checks.map((c) => [c.target, c.measured, c.met === undefined ? '–' : c.met ? 'yes' : 'MISSED']),
  );
}

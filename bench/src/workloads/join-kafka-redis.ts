import type { JoinJobParams } from '../jobs/join-kafka-redis.job';
import { fromReport, round, type WorkloadResult } from '../results';
import type { SuiteContext } from '../suite-context';
import { kafkaJobParams, type Workload } from './workload';

/** Checkpoints "off": an interval no run reaches (only the final checkpoint at stop). */
const NEVER_MS = 1e12;

export const JOIN_SINKS = ['conversions', 'late', 'dead-letters'] as const;

async function runJoin(
  ctx: SuiteContext,
  workload: string,
  run: number,
  checkpointIntervalMs?: number,
): Promise<WorkloadResult> {
  const params: JoinJobParams = {
    ...(await kafkaJobParams(ctx, `${workload}.${run}`, ctx.input.topics, JOIN_SINKS)),
    checkpointIntervalMs,
    expected: ctx.input.events,
  };
  const label = ctx.options.joinRuns > 1 ? `${workload}-run${run}` : workload;
  const report = await ctx.runJob(label, { workload: 'join-kafka-redis', params });
  return fromReport(workload, report);
}

/** The median run (by events/s), with every run's rate in its details. */
function medianRun(runs: readonly WorkloadResult[]): WorkloadResult {
  const sorted = [...runs].sort((a, b) => a.entry.eventsPerSec - b.entry.eventsPerSec);
  const median = sorted[Math.floor(sorted.length / 2)];
  return {
    ...median,
    details: { ...median.details, runsEventsPerSec: runs.map((r) => r.entry.eventsPerSec) },
  };
}

export const joinKafkaRedis: Workload = {
  name: 'join-kafka-redis',
  title: 'ImpressionJoin on Kafka + Redis, checkpoints every 5 s, then with checkpoints off',
  async run(ctx) {
    const on: WorkloadResult[] = [];
    const off: WorkloadResult[] = [];
    for (let run = 1; run <= ctx.options.joinRuns; run++) {
      on.push(await runJoin(ctx, this.name, run));
      off.push(await runJoin(ctx, `${this.name}-no-checkpoints`, run, NEVER_MS));
    }
    // Medians: on a shared 2-core machine single runs vary by ±10 % and more.
    const [withCheckpoints, without] = [medianRun(on), medianRun(off)];
    const overhead = round(1 - withCheckpoints.entry.eventsPerSec / without.entry.eventsPerSec, 4);
    const note =
      `checkpoint overhead ${(overhead * 100).toFixed(1)} %: ${withCheckpoints.entry.eventsPerSec} events/s ` +
      `with a checkpoint every 5 s, ${without.entry.eventsPerSec} without` +
      (on.length > 1
        ? ` (median of ${on.length} interleaved runs each; with: ${on.map((r) => r.entry.eventsPerSec).join(', ')}, ` +
          `without: ${off.map((r) => r.entry.eventsPerSec).join(', ')})`
        : ' (one run each: ±10 % noise, see the full mode)');
    return [
      {
        ...withCheckpoints,
        entry: { ...withCheckpoints.entry, checkpointOverhead: overhead },
        notes: [note],
      },
      without,
    ];
  },
};

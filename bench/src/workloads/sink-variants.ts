import { fromReport, round, type WorkloadResult } from '../results';
import type { SinkJobParams } from '../jobs/sink-writes';
import type { SuiteContext } from '../suite-context';

/** One job process of a sink workload: the sink, its raw baseline or another reference. */
export interface SinkVariant {
  /** The result's name (and the job process's, in logs and profiles). */
  readonly name: string;
  /** The job (job-process.ts) it runs. */
  readonly job: string;
  readonly params: object;
  /** The variant this one is compared with (its raw baseline), run before it. */
  readonly against?: string;
}

/** Records per statement or request (the sinks' default). */
export const SINK_BATCH_SIZE = 500;

/**
 * What every variant writes: 100 000 records (quick; full 300 000) in write calls of
 * 1 000 (a task's batch of input from the mock), in 3 measured passes (full 5).
 */
export const sinkWrites = (ctx: SuiteContext): SinkJobParams => ({
  records: ctx.options.embeddedImpressions,
  writeSize: 1000,
  passes: ctx.options.rawPasses,
});

/**
 * Runs each variant in its own job process, in the order given, and gives the ones
 * compared with another their ratio (records/s over the other's, same run) in the
 * details and a note.
 */
export async function runSinkVariants(
  ctx: SuiteContext,
  variants: readonly SinkVariant[],
): Promise<WorkloadResult[]> {
  const results = new Map<string, WorkloadResult>();
  for (const v of variants) {
    const report = await ctx.runJob(v.name, { workload: v.job, params: v.params });
    results.set(v.name, fromReport(v.name, report));
  }
  return variants.map((v) => {
    const result = results.get(v.name) as WorkloadResult;
    const raw = v.against === undefined ? undefined : results.get(v.against);
    if (!raw) return result;
    const ratio = round(result.entry.eventsPerSec / raw.entry.eventsPerSec, 3);
    const perCpu = round(result.eventsPerCpuSecond / raw.eventsPerCpuSecond, 3);
    return {
      ...result,
      details: { ...result.details, ratioToRaw: ratio, cpuRatioToRaw: perCpu },
      notes: [
        `${v.name}: ${result.entry.eventsPerSec} records/s = ${ratio} × ${raw.entry.workload} ` +
          `(${raw.entry.eventsPerSec}/s); per CPU-second of the job process ${perCpu} × ` +
          `(${result.eventsPerCpuSecond} against ${raw.eventsPerCpuSecond})`,
      ],
    };
  });
}

/** The raw baseline as `<name>-raw`, or the sink as `<name>`, compared with it. */
export function sinkOrRaw(
  name: string,
  client: 'sink' | 'raw',
  job: string,
  params: object,
): SinkVariant {
  return client === 'raw'
    ? { name: `${name}-raw`, job, params }
    : { name, job, params, against: `${name}-raw` };
}

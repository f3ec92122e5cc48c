import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  CHECKPOINT_DURATION_BUCKETS,
  type CheckpointStats,
  type JobMetrics,
} from '../task/metrics';
import type { Observable } from './status-server';

/** What `/metrics` reads of a job: only when scraped. */
export type MetricsTarget = Pick<
  Observable,
  'metrics' | 'status' | 'stageMetrics' | 'routeMetrics'
>;

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [Labels, number];

/** The job's counters, with `job` and `stage` labels: name, help, and how to read it. */
const COUNTERS: ReadonlyArray<readonly [string, string, (m: JobMetrics) => number]> = [
  ['records_in_total', 'records read from sources', (m) => m.recordsIn],
  ['records_out_total', 'records emitted to the main output', (m) => m.mainOut],
  ['late_records_total', 'elements at or below the watermark on arrival', (m) => m.late],
  ['dead_letters_total', 'records sent to the dead letters', (m) => m.deadLetters],
  ['timers_fired_total', 'timers fired', (m) => m.timersFired],
  [
    'state_round_trips_total',
    'round trips to the state backend to load state',
    (m) => m.stateRoundTrips,
  ],
  ['checkpoints_total', 'checkpoints committed', (m) => m.checkpoints],
  ['checkpoints_failed_total', 'checkpoint commits that failed', (m) => m.checkpointStats.failed],
  [
    'checkpoint_state_writes_total',
    'state entries written or deleted by the committed checkpoints',
    (m) => m.checkpointStats.stateWrites,
  ],
];

const JOB_LABELS = ['job', 'stage'];
const TASK_LABELS = ['job', 'task'];
const ROUTE_OUTCOMES = ['in', 'filtered', 'out', 'failed'] as const;

/**
 * The registry of a job's `/metrics` (see "Metrics" in the README): its counters (per
 * stage for a job of several), its checkpoints, each task's watermark, each route's
 * counts, and Node's process metrics. Tasks bump plain numbers (`JobMetrics`); every
 * metric here reads them in its `collect`, when scraped, so the hot path never calls
 * prom-client.
 */
export function jobMetricsRegistry(job: string, target: MetricsTarget): Registry {
  const registry = new Registry();
  const series = (): Array<readonly [Labels, JobMetrics]> =>
    target.stageMetrics?.().map((s) => [{ job, stage: s.stage }, s.metrics] as const) ?? [
      [{ job }, target.metrics],
    ];
  const perSeries = (read: (m: JobMetrics) => number) => (): Sample[] =>
    series().map(([labels, m]) => [labels, read(m)]);

  for (const [name, help, read] of COUNTERS)
    scrapedCounter(registry, `stream_gen_${name}`, help, JOB_LABELS, perSeries(read));
  scrapedCounter(
    registry,
    'stream_gen_side_output_records_total',
    'records emitted to each side output',
    [...JOB_LABELS, 'output'],
    () =>
      series().flatMap(([labels, m]) =>
        Object.entries(m.sideOutputs).map(([output, n]): Sample => [{ ...labels, output }, n]),
      ),
  );
  scrapedGauge(
    registry,
    'stream_gen_last_checkpoint_state_writes',
    'state entries written or deleted by the latest checkpoint (of whichever task committed last)',
    JOB_LABELS,
    perSeries((m) => m.checkpointStats.lastStateWrites),
  );
  registry.registerMetric(
    new ScrapedHistogram(
      'stream_gen_checkpoint_duration_seconds',
      'time from taking a checkpoint snapshot to its commit done (outputs written, state committed)',
      JOB_LABELS,
      () => series().map(([labels, m]) => [labels, m.checkpointStats]),
    ),
  );
  const watermarks = (): Sample[] =>
    target.status().map((t) => [{ job, task: t.task }, t.watermark]);
  scrapedGauge(
    registry,
    'stream_gen_current_input_watermark_ms',
    "each task's watermark (event time, ms): the least of its inputs', also what it forwards",
    TASK_LABELS,
    watermarks,
  );
  scrapedGauge(
    registry,
    'stream_gen_watermark_ms',
    'task watermark (event time, ms): stream_gen_current_input_watermark_ms by its older name',
    TASK_LABELS,
    watermarks,
  );
  if (target.routeMetrics) {
    scrapedCounter(
      registry,
      'stream_gen_route_records_total',
      'records of each route: in, filtered (or dropped by its script), out, failed (dead-lettered)',
      ['job', 'route', 'outcome'],
      () =>
        Object.entries(target.routeMetrics?.() ?? {}).flatMap(([route, counts]) =>
          ROUTE_OUTCOMES.map((outcome): Sample => [{ job, route, outcome }, counts[outcome]]),
        ),
    );
  }
  return Registry.merge([processRegistry(), registry]);
}

let processMetrics: Registry | undefined;

/**
 * Node's process metrics under prom-client's default names (`process_*`, `nodejs_*`,
 * what Node dashboards expect): collected once per process, however many jobs it serves.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** A counter of `registry` whose values are read when scraped. */
function scrapedCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  samples: () => Sample[],
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of samples()) this.inc(labels, value);
    },
  });
}

/** A gauge of `registry` whose values are read when scraped. */
function scrapedGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  samples: () => Sample[],
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of samples()) this.set(labels, value);
    },
  });
}

/**
 * A histogram whose buckets are the jobs' own counts ({@link CheckpointStats}), read
 * when scraped. prom-client's histogram counts only what it observes itself, and both
 * of its reads (`get`, and the registry's text exposition) go through
 * `getForPromString`: this one answers it with those counts, in the shape of its own.
 */
class ScrapedHistogram extends Histogram {
  constructor(
    private readonly metricName: string,
    private readonly helpText: string,
    labelNames: string[],
    private readonly samples: () => Array<readonly [Labels, CheckpointStats]>,
  ) {
    super({
      name: metricName,
      help: helpText,
      labelNames,
      buckets: [...CHECKPOINT_DURATION_BUCKETS],
      registers: [],
    });
  }

  async getForPromString() {
    const name = this.metricName;
    const values = this.samples().flatMap(([sharedLabels, stats]) => {
      const sample = (suffix: string, labels: object, value: number) => ({
        metricName: `${name}${suffix}`,
        labels,
        sharedLabels,
        value,
      });
      let cumulative = 0;
      return [
        ...CHECKPOINT_DURATION_BUCKETS.map((le, i) =>
          sample('_bucket', { le }, (cumulative += stats.durationCounts[i])),
        ),
        sample('_bucket', { le: '+Inf' }, stats.committed),
        sample('_sum', {}, stats.durationSecondsSum),
        sample('_count', {}, stats.committed),
      ];
    });
    return { name, help: this.helpText, type: 'histogram', values, aggregator: 'sum' };
  }
}

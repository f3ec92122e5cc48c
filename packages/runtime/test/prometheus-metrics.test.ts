/**
 * `GET /metrics` through prom-client: a real job on the Redis state backend, scraped over
 * HTTP, its exposition checked line by line (a malformed one fails the test) and its
 * series by name and label.
 */
import Redis from 'ioredis';
import {
  EmbeddedLog,
  EmbeddedLogSink,
  EmbeddedLogSource,
  JobMetrics,
  JobRunner,
  RedisStateBackend,
  silentLogger,
  startStatusServer,
  type StateBackend,
} from '../src';
import { jobMetricsRegistry } from '../src/runner/prometheus-metrics';
import { jobMetricsOf } from '../src/task/metrics';
import { testServices } from '../test-services/services';
import { beforeCommits } from './commit-hook';
import { clickJob } from './fixtures';

// ------------------------------------------------------- a strict exposition check

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Family {
  readonly type: string;
  readonly samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL},)*${LABEL})?\\})? (\\S+)$`);
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/i;
/** A sample's value or a bucket's bound: a float, or ±Inf / NaN as the format spells them. */
const toNumber = (text: string) =>
  /^[+-]?Inf$/.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
const SUFFIXES: Record<string, string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Parses Prometheus' text format (0.0.4), throwing at the first line it breaks: a
 * sample outside the family its `# TYPE` opened, a family declared twice, a series
 * twice, a bad value or label, a histogram whose buckets do not add up.
 */
function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: { name: string; family: Family } | undefined;
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const fail = (why: string) => {
        throw new Error(`line ${i + 1}: ${why}: ${line}`);
      };
      if (line === '') return;
      const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (comment) {
        const [, kind, name, rest] = comment;
        if (!new RegExp(`^${NAME}$`).test(name)) fail('bad metric name');
        if (kind === 'HELP') return;
        if (!SUFFIXES[rest]) fail('unknown type');
        if (families.has(name)) fail('family declared twice');
        current = { name, family: { type: rest, samples: [] } };
        families.set(name, current.family);
        return;
      }
      if (line.startsWith('#')) return;
      const match = SAMPLE_LINE.exec(line);
      if (!match) return fail('not a sample');
      const [, name, labelText = '', , , , , value] = match;
      if (!current || !SUFFIXES[current.family.type].some((s) => name === current!.name + s))
        fail('sample outside its family');
      if (!VALUE.test(value)) fail('bad value');
      const labels: Record<string, string> = {};
      for (const [, label, raw] of labelText.matchAll(new RegExp(LABEL, 'g'))) {
        if (label in labels) fail(`label ${label} twice`);
        labels[label] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
      const id = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (series.has(id)) fail('series twice');
      series.add(id);
      current!.family.samples.push({ name, labels, value: toNumber(value) });
    });
  for (const [name, family] of families)
    if (family.type === 'histogram') checkHistogram(name, family);
  return families;
}

/** Per label set: `le` on every bucket, cumulative counts, and `+Inf` equal to `_count`. */
function checkHistogram(name: string, family: Family): void {
  const withoutLe = ({ le: _le, ...rest }: Readonly<Record<string, string>>) =>
    JSON.stringify(Object.entries(rest).sort());
  const counts = new Map(
    family.samples
      .filter((s) => s.name === `${name}_count`)
      .map((s) => [withoutLe(s.labels), s.value]),
  );
  const last = new Map<string, { le: number; value: number }>();
  for (const s of family.samples.filter((x) => x.name === `${name}_bucket`)) {
    if (s.labels.le === undefined) throw new Error(`${name}: a bucket without le`);
    const key = withoutLe(s.labels);
    const le = toNumber(s.labels.le);
    const before = last.get(key);
    if (before && (le <= before.le || s.value < before.value))
      throw new Error(`${name}: buckets not cumulative at le=${s.labels.le}`);
    last.set(key, { le, value: s.value });
  }
  for (const [key, count] of counts) {
    if (last.get(key)?.le !== Infinity || last.get(key)?.value !== count)
      throw new Error(`${name}${key}: the +Inf bucket is not the count`);
  }
}

/** The value of the one sample of `name` with exactly these labels. */
function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string>) {
  const family = families.get(name.replace(/_(bucket|sum|count)$/, '')) ?? families.get(name);
  const found = family?.samples.filter(
    (s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels),
  );
  if (found?.length !== 1)
    throw new Error(`${name}${JSON.stringify(labels)}: ${found?.length ?? 'no family'}`);
  return found[0].value;
}

// ---------------------------------------------------------------- a real job

const clicks = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    key: `u${(from + i) % 7}`,
    value: JSON.stringify({ user: `u${(from + i) % 7}`, ts: (from + i) * 10 }),
  }));

async function waitFor(done: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The Redis backend, with the n-th commit (from 1) failing when `fails(n)`. */
const failingCommits = (backend: StateBackend, fails: (n: number) => boolean): StateBackend =>
  beforeCommits(backend, (n) => {
    if (fails(n)) throw new Error('state store lost');
  });

describe('/metrics', () => {
  const services = testServices();
  const redis = new Redis(services.redisUrl);
  afterAll(() => redis.disconnect());

  function runner(name: string, log: EmbeddedLog, backend: StateBackend) {
    return new JobRunner({
      job: { ...clickJob({ bound: 10_000 }), name },
      sources: { clicks: new EmbeddedLogSource(log, 'clicks') },
      sinks: { counts: new EmbeddedLogSink(log, 'counts'), late: new EmbeddedLogSink(log, 'late') },
      backend,
      logger: silentLogger,
      batchSize: 10,
      checkpointIntervalMs: 0,
      progressIntervalMs: 0,
    });
  }

  async function scrape(port: number) {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    return {
      type: response.headers.get('content-type'),
      families: parseExposition(await response.text()),
    };
  }

  it("serves a job's counters, checkpoints and watermarks in Prometheus' text format", async () => {
    const name = `PromMetrics${Date.now()}`;
    const log = new EmbeddedLog(2);
    log.append('clicks', clicks(0, 120));
    const job = runner(name, log, new RedisStateBackend(redis));
    const running = job.run();
    const server = await startStatusServer(0, name, job, silentLogger);
    const labels = { job: name };
    try {
      await waitFor(() => job.metrics.recordsIn === 120 && job.metrics.checkpoints >= 2);
      const live = await scrape(server.port);
      expect(live.type).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(valueOf(live.families, 'stream_gen_records_in_total', labels)).toBe(120);
      expect(live.families.get('stream_gen_records_in_total')?.type).toBe('counter');
      expect(live.families.get('stream_gen_checkpoint_duration_seconds')?.type).toBe('histogram');
      expect(
        valueOf(live.families, 'stream_gen_checkpoint_duration_seconds_count', labels),
      ).toBeGreaterThan(0);
      const watermarks = live.families.get('stream_gen_current_input_watermark_ms');
      expect(watermarks?.type).toBe('gauge');
      expect(watermarks?.samples.map((s) => s.labels)).toEqual([
        { job: name, task: '0' },
        { job: name, task: '1' },
      ]);
      // Node's process metrics, under prom-client's default names
      expect(live.families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
      expect(live.families.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
      expect(live.families.has('stream_gen_route_records_total')).toBe(false);

      // stopped (a final checkpoint taken), the values are exact
      await job.stop();
      await running;
      const { families } = await scrape(server.port);
      expect(valueOf(families, 'stream_gen_records_in_total', labels)).toBe(120);
      expect(valueOf(families, 'stream_gen_late_records_total', labels)).toBe(0);
      expect(valueOf(families, 'stream_gen_checkpoints_failed_total', labels)).toBe(0);
      // every commit timed
      const checkpoints = valueOf(families, 'stream_gen_checkpoints_total', labels);
      expect(checkpoints).toBe(job.metrics.checkpoints);
      expect(valueOf(families, 'stream_gen_checkpoint_duration_seconds_count', labels)).toBe(
        checkpoints,
      );
      expect(
        valueOf(families, 'stream_gen_checkpoint_duration_seconds_sum', labels),
      ).toBeGreaterThan(0);
      // the count state of each of the 7 users was written by some commit
      expect(
        valueOf(families, 'stream_gen_checkpoint_state_writes_total', labels),
      ).toBeGreaterThanOrEqual(7);
      expect(families.get('stream_gen_last_checkpoint_state_writes')?.type).toBe('gauge');
      // each task's watermark, as /health has it
      for (const task of job.status()) {
        const of = { job: name, task: task.task };
        expect(valueOf(families, 'stream_gen_current_input_watermark_ms', of)).toBe(task.watermark);
        expect(valueOf(families, 'stream_gen_watermark_ms', of)).toBe(task.watermark);
      }
    } finally {
      await server.close();
      await job.stop();
      await running;
    }
  });

  it('counts a failed commit', async () => {
    const name = `PromFailed${Date.now()}`;
    const log = new EmbeddedLog(1);
    log.append('clicks', clicks(0, 200));
    const job = runner(
      name,
      log,
      failingCommits(new RedisStateBackend(redis), (n) => n === 3),
    );
    await expect(job.run()).rejects.toThrow('state store lost');
    const server = await startStatusServer(0, name, job, silentLogger);
    try {
      const { families } = await scrape(server.port);
      expect(valueOf(families, 'stream_gen_checkpoints_failed_total', { job: name })).toBe(1);
      // only the commits done are timed
      const committed = valueOf(families, 'stream_gen_checkpoints_total', { job: name });
      expect(committed).toBe(job.metrics.checkpoints);
      expect(committed).toBeGreaterThanOrEqual(2);
      expect(valueOf(families, 'stream_gen_checkpoint_duration_seconds_count', { job: name })).toBe(
        committed,
      );
    } finally {
      await server.close();
    }
  });
});

// ---------------------------------------------------------------- pure logic

describe('the job registry', () => {
  it("writes a stage label per stage, each stage's checkpoint buckets, and route counts", async () => {
    const [first, second] = [new JobMetrics(), new JobMetrics()];
    first.recordsIn = 5;
    first.checkpointStats.record(0.02, 3);
    first.checkpointStats.record(30, 1);
    first.countSide('late');
    second.checkpointStats.record(0.001, 9);
    const stages = [
      { stage: 'count', metrics: first },
      { stage: 'top "x"', metrics: second },
    ];
    const registry = jobMetricsRegistry('J', {
      get metrics() {
        return jobMetricsOf(stages);
      },
      status: () => [],
      stageMetrics: () => stages,
      routeMetrics: () => ({ tv: { in: 4, filtered: 1, out: 3, failed: 0 } }),
    });
    const families = parseExposition(await registry.metrics());
    const count = { job: 'J', stage: 'count' };
    const top = { job: 'J', stage: 'top "x"' };
    expect(valueOf(families, 'stream_gen_records_in_total', count)).toBe(5);
    expect(valueOf(families, 'stream_gen_records_in_total', top)).toBe(0);
    expect(
      valueOf(families, 'stream_gen_side_output_records_total', { ...count, output: 'late' }),
    ).toBe(1);
    const bucket = (labels: Record<string, string>, le: string) =>
      valueOf(families, 'stream_gen_checkpoint_duration_seconds_bucket', { le, ...labels });
    expect([
      bucket(count, '0.01'),
      bucket(count, '0.025'),
      bucket(count, '10'),
      bucket(count, '+Inf'),
    ]).toEqual([0, 1, 1, 2]);
    expect(bucket(top, '0.005')).toBe(1);
    expect(valueOf(families, 'stream_gen_checkpoint_duration_seconds_sum', count)).toBeCloseTo(
      30.02,
    );
    expect(valueOf(families, 'stream_gen_last_checkpoint_state_writes', count)).toBe(1);
    expect(
      valueOf(families, 'stream_gen_route_records_total', {
        job: 'J',
        route: 'tv',
        outcome: 'filtered',
      }),
    ).toBe(1);
    // the job's total: the latest commit of any stage is the job's latest
    const total = jobMetricsOf(stages).checkpointStats;
    expect([total.committed, total.stateWrites, total.lastStateWrites]).toEqual([3, 13, 9]);
  });

  it('is checked strictly: a malformed exposition fails the check', () => {
    const ok = '# TYPE a counter\na{job="j"} 1\n';
    expect(parseExposition(ok).get('a')?.samples).toEqual([
      { name: 'a', labels: { job: 'j' }, value: 1 },
    ]);
    expect(() => parseExposition('a 1\n')).toThrow('sample outside its family');
    expect(() => parseExposition(ok + 'a{job="j"} 2\n')).toThrow('series twice');
    expect(() => parseExposition('# TYPE a gauge\na{job=j} 1\n')).toThrow('not a sample');
    expect(() => parseExposition('# TYPE a gauge\na 1,5\n')).toThrow('bad value');
    expect(() => parseExposition(ok + '# TYPE a counter\n')).toThrow('declared twice');
    expect(() =>
      parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n'),
    ).toThrow('not cumulative');
    expect(() => parseExposition('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 2\n')).toThrow(
      'not the count',
    );
  });
});

import { EmbeddedLog, JobRunner, embeddedBackends, type Logger } from '@stream-gen/runtime';
import { generateEvents, type GeneratorOptions } from './data-generator';
import { impressionJoinJob } from './impression-join.spec';
import { joinKey, type Conversion, type Impression, type Play } from './model';
import { referenceJoin } from './reference-join';

export interface DemoResult {
  readonly eventsIn: number;
  readonly conversions: number;
  readonly late: number;
  readonly elapsedMs: number;
  /** The streamed conversions equal the batch reference join of the on-time events. */
  readonly matchesReference: boolean;
  readonly mismatches: readonly string[];
}

/**
 * Generates impressions and plays into the embedded log (4 partitions, keyed by
 * profile and title), runs ImpressionJoin over them on the embedded backends until
 * the sealed topics end, and checks the result against the batch reference join.
 */
export async function runEmbeddedDemo(
  options: GeneratorOptions & { logger?: Logger; partitions?: number } = {},
): Promise<DemoResult> {
  const log = new EmbeddedLog(options.partitions ?? 4);
  const backends = embeddedBackends(log);
  const events = generateEvents(options);
  for (const topic of ['impressions', 'plays'] as const) {
    log.createTopic(topic);
    log.append(
      topic,
      events
        .filter((e) => e.topic === topic)
        .map((e) => ({ key: joinKey(e.value), value: JSON.stringify(e.value) })),
    );
    log.seal(topic);
  }
  const job = impressionJoinJob();
  const runner = new JobRunner({
    job,
    sources: { impressions: backends.source('impressions'), plays: backends.source('plays') },
    sinks: {
      conversions: backends.sink('conversions'),
      late: backends.sink('late'),
      'dead-letters': backends.sink('dead-letters'),
    },
    backend: backends.backend,
    backendsDescription: backends.description,
    logger: options.logger,
  });
  const started = Date.now();
  await runner.run();
  const elapsedMs = Date.now() - started;

  const conversions = readAll(log, 'conversions') as Conversion[];
  const late = readAll(log, 'late') as Array<Impression | Play>;
  const lateIds = new Set(late.map((e) => ('playId' in e ? e.playId : e.impressionId)));
  const onTime = <T>(topic: string, id: (v: T) => string) =>
    events
      .filter((e) => e.topic === topic)
      .map((e) => e.value as T)
      .filter((v) => !lateIds.has(id(v)));
  const expected = referenceJoin(
    onTime<Impression>('impressions', (i) => i.impressionId),
    onTime<Play>('plays', (p) => p.playId),
  );
  const mismatches = compare(expected, conversions);
  return {
    eventsIn: events.length,
    conversions: conversions.length,
    late: late.length,
    elapsedMs,
    matchesReference: mismatches.length === 0,
    mismatches,
  };
}

function readAll(log: EmbeddedLog, topic: string): unknown[] {
  const values: unknown[] = [];
  for (let p = 0; p < log.partitionCount(topic); p++) {
    for (const r of log.read(topic, p, 0, Number.MAX_SAFE_INTEGER).records)
      values.push(JSON.parse(r.value));
  }
  return values;
}

/** Differences between two sets of conversions, by playId (at most 10 listed). */
export function compare(expected: readonly Conversion[], actual: readonly Conversion[]): string[] {
  const problems: string[] = [];
  const got = new Map<string, Conversion>();
  for (const c of actual) {
    if (got.has(c.playId)) problems.push(`play ${c.playId} converted twice`);
    got.set(c.playId, c);
  }
  for (const e of expected) {
    const a = got.get(e.playId);
    if (!a) problems.push(`play ${e.playId} has no conversion`);
    else if (JSON.stringify(a) !== JSON.stringify(e)) {
      problems.push(`play ${e.playId}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
    }
    got.delete(e.playId);
  }
  for (const id of got.keys()) problems.push(`play ${id} was not expected`);
  return problems.slice(0, 10);
}

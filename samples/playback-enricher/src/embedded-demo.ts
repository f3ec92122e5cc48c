import { EmbeddedLog, JobRunner, embeddedBackends, type Logger } from '@stream-gen/runtime';
import { generatePlays, type PlayGeneratorOptions } from './data-generator';
import { FakeServices, type FakeServiceOptions } from './fake-services';
import { playbackEnricherJob } from './playback-enricher.spec';

export interface EnricherDemoResult {
  readonly eventsIn: number;
  readonly enriched: number;
  readonly deadLetters: number;
  /** Dead-letter reasons and how often each occurred (addresses shortened). */
  readonly reasons: Readonly<Record<string, number>>;
  /** playIds of inputs found in neither output, and of those found more than once. */
  readonly lost: readonly string[];
  readonly duplicated: readonly string[];
  /** Measured at the fake service. */
  readonly maxInFlight: number;
  readonly maxCallsPerSecond: number;
  readonly elapsedMs: number;
}

/**
 * Starts the fake services, writes generated plays into the embedded log (4
 * partitions, keyed by profile), runs PlaybackEnricher on the embedded backends
 * until the sealed topic ends, and accounts for every input: each must be in
 * `enriched` or `dead-letters`, exactly once.
 */
export async function runEmbeddedDemo(
  options: PlayGeneratorOptions &
    FakeServiceOptions & { readonly logger?: Logger; readonly partitions?: number } = {},
): Promise<EnricherDemoResult> {
  const services = new FakeServices(options);
  const url = await services.start();
  try {
    const log = new EmbeddedLog(options.partitions ?? 4);
    const backends = embeddedBackends(log);
    const records = generatePlays(options);
    log.createTopic('plays');
    log.append(
      'plays',
      records.map((r) => ({
        key: String((r as { profileId?: unknown }).profileId),
        value: JSON.stringify(r),
      })),
    );
    log.seal('plays');
    const runner = new JobRunner({
      job: playbackEnricherJob({ PLAYBACK_HISTORY_URL: url, VIDEO_METADATA_URL: url }),
      sources: { plays: backends.source('plays') },
      sinks: { enriched: backends.sink('enriched'), 'dead-letters': backends.sink('dead-letters') },
      backend: backends.backend,
      backendsDescription: backends.description,
      logger: options.logger,
    });
    const started = Date.now();
    await runner.run();
    const elapsedMs = Date.now() - started;

    const enriched = readAll(log, 'enriched');
    const dead = readAll(log, 'dead-letters');
    const seen = new Map<string, number>();
    for (const r of [...enriched, ...dead]) {
      // a dead letter's value is { reason, source, partition, offset, value }
      const play = r.headers['stream-gen-dead-letter-reason']
        ? (r.value as { value: unknown }).value
        : r.value;
      const id = String((play as { playId?: unknown }).playId);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const reasons: Record<string, number> = {};
    for (const r of dead) {
      const reason = (r.headers['stream-gen-dead-letter-reason'] ?? '?').replace(
        /http:\/\/[^/]+/,
        '<url>',
      );
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
    const ids = records.map((r) => String((r as { playId: string }).playId));
    return {
      eventsIn: records.length,
      enriched: enriched.length,
      deadLetters: dead.length,
      reasons,
      lost: ids.filter((id) => !seen.has(id)),
      duplicated: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
      maxInFlight: services.maxInFlight,
      maxCallsPerSecond: services.maxCallsPerSecond(),
      elapsedMs,
    };
  } finally {
    await services.stop();
  }
}

function readAll(log: EmbeddedLog, topic: string) {
  const out: Array<{ value: unknown; headers: Readonly<Record<string, string>> }> = [];
  for (let p = 0; p < log.partitionCount(topic); p++) {
    for (const r of log.read(topic, p, 0, Number.MAX_SAFE_INTEGER).records) {
      out.push({ value: JSON.parse(r.value), headers: r.headers });
    }
  }
  return out;
}

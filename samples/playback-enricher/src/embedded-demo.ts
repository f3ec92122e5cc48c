import { EmbeddedLog, JobRunner, embeddedBackends, type Logger } from '@stream-gen/runtime';
import { generatePlayLog, type PlayGeneratorOptions } from './data-generator';
import { FakeServices, type FakeServiceOptions } from './fake-services';
import { playbackEnricherJob } from './playback-enricher.spec';

export interface EnricherDemoResult {
  /** Play-log lines written to `plays`. */
  readonly linesIn: number;
  /** Plays in the lines that parse, after the filter: what reaches the enricher. */
  readonly playsToEnrich: number;
  /** Plays in those lines the filter drops (zero duration). */
  readonly dropped: number;
  readonly enriched: number;
  readonly deadLetters: number;
  /** Dead-letter reasons and how often each occurred (addresses shortened). */
  readonly reasons: Readonly<Record<string, number>>;
  /**
   * playIds (and `line <n>` for malformed lines) found in neither output, found more
   * than once, or found though they should not be (plays the filter drops).
   */
  readonly lost: readonly string[];
  readonly duplicated: readonly string[];
  readonly unexpected: readonly string[];
  /** Measured at the fake service. */
  readonly maxInFlight: number;
  readonly maxCallsPerSecond: number;
  readonly elapsedMs: number;
}

/**
 * Starts the fake services, writes generated play-log lines into the embedded log (4
 * partitions, keyed by profile), runs PlaybackEnricher on the embedded backends
 * until the sealed topic ends, and accounts for every input: each play the filter
 * keeps must be in `enriched` or `dead-letters` exactly once, each malformed line in
 * `dead-letters` exactly once, and nothing else anywhere.
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
    const generated = generatePlayLog(options);
    log.createTopic('plays');
    log.append(
      'plays',
      generated.map((g) => ({ key: g.profileId, value: JSON.stringify(g.line) })),
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
    const lineNumber = new Map(generated.map((g, n) => [g.line, n]));
    const seen = new Map<string, number>();
    for (const r of [...enriched, ...dead]) {
      // a dead letter's value is { reason, source, partition, offset, value }: the line
      // when the parser refused it, else the parsed play
      const value = r.headers['stream-gen-dead-letter-reason']
        ? (r.value as { value: unknown }).value
        : r.value;
      const id =
        typeof value === 'string'
          ? `line ${lineNumber.get(value) ?? '?'}`
          : String((value as { playId?: unknown }).playId);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const reasons: Record<string, number> = {};
    for (const r of dead) {
      // without the address and the parser's entry, reasons of one kind read the same
      const reason = (r.headers['stream-gen-dead-letter-reason'] ?? '?')
        .replace(/http:\/\/[^/]+/, '<url>')
        .replace(/entry \d+ "[^"]*"/, 'entry <n> "..."');
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
    const ids = new Set(generated.flatMap((g, n) => (g.malformed ? [`line ${n}`] : g.playIds)));
    return {
      linesIn: generated.length,
      playsToEnrich: generated.reduce((sum, g) => sum + g.playIds.length, 0),
      dropped: generated.reduce((sum, g) => sum + g.dropped.length, 0),
      enriched: enriched.length,
      deadLetters: dead.length,
      reasons,
      lost: [...ids].filter((id) => !seen.has(id)),
      duplicated: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
      unexpected: [...seen.keys()].filter((id) => !ids.has(id)),
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

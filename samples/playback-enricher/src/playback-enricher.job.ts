import { AsyncEnrich, LookupTable, Sink, Source, StreamJob } from '@stream-gen/annotations';
import { EnricherConfig } from './enricher-config';
import { fetchJson } from './fetch-json';
import type { EnrichedPlay, PlaybackHistory, Play, PlayLogLine, TitleMetadata } from './model';
import { ParsePlays } from './parse-plays.stage';

/**
 * Pattern 3, the enricher: `flatMap(parser) -> filter -> map(service) -> map(lookup)`.
 * The `parse-plays` stage turns play-log lines into plays; each play then gets the
 * profile's playback history from a service called over HTTP (under a concurrency
 * cap, a rate limit, a timeout and retries) and the title's metadata from a table
 * reloaded every minute. Plays whose enrichment still fails go to `dead-letters`
 * with the reason.
 */
@StreamJob({ name: 'PlaybackEnricher', deadLetters: 'dead-letters', stages: [ParsePlays] })
@Source<PlayLogLine>('plays')
@Sink('enriched')
@Sink('dead-letters')
export class PlaybackEnricher {
  private titles = new Map<string, TitleMetadata>();

  constructor(private readonly config: EnricherConfig) {}

  @LookupTable({ refresh: '1m' })
  async loadTitles(): Promise<void> {
    const list = await fetchJson<TitleMetadata[]>(`${this.config.metadataUrl}/titles`);
    this.titles = new Map(list.map((t) => [t.titleId, t]));
  }

  @AsyncEnrich({
    source: 'plays-parsed',
    output: 'enriched',
    concurrency: 8,
    rateLimit: { perSecond: 500, burst: 20 },
    timeout: '2s',
    retries: 3,
    backoff: '50ms',
  })
  // The title lookup stays in this step, not a map stage of its own: no stage may
  // follow the operator yet.
  async enrich(play: Play, signal: AbortSignal): Promise<EnrichedPlay> {
    const url = `${this.config.historyUrl}/history/${encodeURIComponent(play.profileId)}`;
    const history = await fetchJson<PlaybackHistory>(url, signal);
    const title = this.titles.get(play.titleId);
    return {
      ...play,
      title: title ? { name: title.name, genre: title.genre } : null,
      completion: title ? Math.min(1, play.durationMs / title.runtimeMs) : null,
      history: {
        totalPlays: history.totalPlays,
        rewatch: history.recentTitleIds.includes(play.titleId),
      },
    };
  }
}

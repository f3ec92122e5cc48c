import { AsyncEnrich, Sink, Source, StreamJob } from '@stream-gen/annotations';
import { EnricherConfig } from './enricher-config';
import { fetchJson } from './fetch-json';
import type { PlaybackHistory, Play, PlayLogLine, PlayWithHistory } from './model';
import { ParsePlays } from './parse-plays.stage';
import { TitleLookup } from './title-lookup.stage';

/**
 * Pattern 3, the enricher: `flatMap(parser) -> filter -> map(service) -> map(lookup)`.
 * The `parse-plays` stage turns play-log lines into plays; each play then gets the
 * profile's playback history from a service called over HTTP (under a concurrency
 * cap, a rate limit, a timeout and retries), and the `title-lookup` stage adds the
 * title's metadata from a table reloaded every minute. Plays whose enrichment still
 * fails go to `dead-letters` with the reason.
 */
@StreamJob({
  name: 'PlaybackEnricher',
  deadLetters: 'dead-letters',
  stages: [ParsePlays, TitleLookup],
})
@Source<PlayLogLine>('plays')
@Sink('enriched')
@Sink('dead-letters')
export class PlaybackEnricher {
  constructor(private readonly config: EnricherConfig) {}

  @AsyncEnrich({
    source: 'plays-parsed',
    output: 'plays-enriched',
    concurrency: 8,
    rateLimit: { perSecond: 500, burst: 20 },
    timeout: '2s',
    retries: 3,
    backoff: '50ms',
  })
  async enrich(play: Play, signal: AbortSignal): Promise<PlayWithHistory> {
    const url = `${this.config.historyUrl}/history/${encodeURIComponent(play.profileId)}`;
    const history = await fetchJson<PlaybackHistory>(url, signal);
    return {
      ...play,
      history: {
        totalPlays: history.totalPlays,
        rewatch: history.recentTitleIds.includes(play.titleId),
      },
    };
  }
}

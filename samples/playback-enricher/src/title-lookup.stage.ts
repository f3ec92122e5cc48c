import { Chain, LookupTable, MapElement } from '@stream-gen/annotations';
import { EnricherConfig } from './enricher-config';
import { fetchJson } from './fetch-json';
import type { EnrichedPlay, PlayWithHistory, TitleMetadata } from './model';

/**
 * The end of the talk's enricher chain, `map(lookup)`: each enriched play gets its
 * title's metadata from a table reloaded every minute from the video-metadata service.
 * It reads what the enrichment writes (`plays-enriched`) and writes the sink `enriched`,
 * in the task that enriched the play.
 */
@Chain({ id: 'title-lookup', input: 'plays-enriched', output: 'enriched' })
export class TitleLookup {
  private titles = new Map<string, TitleMetadata>();

  constructor(private readonly config: EnricherConfig) {}

  /** Loaded before the first play reaches this task's stage; a failed reload keeps the last table. */
  @LookupTable({ refresh: '1m' })
  async loadTitles(): Promise<void> {
    const list = await fetchJson<TitleMetadata[]>(`${this.config.metadataUrl}/titles`);
    this.titles = new Map(list.map((t) => [t.titleId, t]));
  }

  /** A title missing from the table gives `null` metadata, not a dead letter. */
  @MapElement()
  withTitle(enriched: PlayWithHistory): EnrichedPlay {
    const { history, ...play } = enriched;
    const title = this.titles.get(play.titleId);
    return {
      ...play,
      title: title ? { name: title.name, genre: title.genre } : null,
      completion: title ? Math.min(1, play.durationMs / title.runtimeMs) : null,
      history,
    };
  }
}

export type DeviceType = 'tv' | 'mobile' | 'web' | 'console';

/**
 * A record of the `plays` source: one line of a device's play log, as a JSON string
 * (see `play-log.ts` for its format). It may hold several plays, or none.
 */
export type PlayLogLine = string;

/** A play as the `parse-plays` stage gives it. `ts` is event time, epoch ms. */
export interface Play {
  playId: string;
  profileId: string;
  titleId: string;
  ts: number;
  deviceType: DeviceType;
  durationMs: number;
}

/** What the playback-history service returns for a profile. */
export interface PlaybackHistory {
  profileId: string;
  recentTitleIds: string[];
  totalPlays: number;
}

/** One entry of the video-metadata table. */
export interface TitleMetadata {
  titleId: string;
  name: string;
  genre: string;
  runtimeMs: number;
}

/** A play with its profile's playback history, as the enrichment gives it. */
export interface PlayWithHistory extends Play {
  history: { totalPlays: number; rewatch: boolean };
}

/** A play as the job writes it: with its title's metadata from the `title-lookup` stage. */
export interface EnrichedPlay extends PlayWithHistory {
  title: { name: string; genre: string } | null;
  /** Share of the title watched, 0..1, when the title's runtime is known. */
  completion: number | null;
}

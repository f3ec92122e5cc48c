export type DeviceType = 'tv' | 'mobile' | 'web' | 'console';

/** A play as it arrives on the `plays` source. `ts` is event time, epoch ms. */
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

export interface EnrichedPlay extends Play {
  title: { name: string; genre: string } | null;
  /** Share of the title watched, 0..1, when the title's runtime is known. */
  completion: number | null;
  history: { totalPlays: number; rewatch: boolean };
}

export interface PlayEvent {
  playId: string;
  profileId: string;
  titleId: string;
  deviceType: 'tv' | 'mobile' | 'web';
  durationMs: number;
  ts: number;
}

/** A play enriched with the profile's viewing history so far. */
export interface EnrichedPlay extends PlayEvent {
  playsBefore: number;
  minutesBefore: number;
  lastTitleId: string | null;
}

export interface ProfileHistory {
  plays: number;
  totalMs: number;
  lastTitleId: string;
}

/** The device a title was played on. */
export interface Device {
  kind: 'tv' | 'phone' | 'web';
  os: string;
}

/** One play of a title by a profile, as the play_events topic carries it. */
export interface PlayEvent {
  playId: string;
  profileId: string;
  titleId: string;
  country: string;
  /** How long the profile watched, in ms. */
  durationMs: number;
  device: Device;
  tags: string[];
  /** Set when the profile rated the title during the play. */
  rating?: number;
}

/** A user's action on the site (the source `activity`). */
export interface Activity {
  userId: string;
  /** Event time, epoch ms. */
  ts: number;
  /** What the user did, e.g. `view`, `click`; `heartbeat` is a client keep-alive, no activity. */
  action: string;
  page?: string;
}

/**
 * The job's output (the sink `sessions`): one burst of a user's activity, its events
 * less than the 30 min gap apart.
 */
export interface Session {
  userId: string;
  /** Event time of the session's first event (the window starts there too). */
  sessionStart: number;
  /** Event time of its last event (the window ends a gap after it). */
  sessionEnd: number;
  eventCount: number;
}

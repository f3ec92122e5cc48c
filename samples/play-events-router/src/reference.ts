import type { PlayEvent } from './model';

/** What each route of play-events.router.yaml should write, computed directly. */
export function referenceRoutes(events: readonly PlayEvent[]) {
  return {
    'long-us-plays': events
      .filter((e) => e.durationMs >= 600_000 && e.country === 'US')
      .map((e) => ({
        playId: e.playId,
        profileId: e.profileId,
        titleId: e.titleId,
        minutes: e.durationMs / 60_000,
      })),
    'tv-plays': events
      .filter((e) => e.device.kind === 'tv')
      .map((e) => ({
        play_id: e.playId,
        profile_id: e.profileId,
        title_id: e.titleId,
        duration_ms: e.durationMs,
        os: e.device.os,
      })),
    'rated-kids-plays': events
      .filter((e) => e.tags.includes('kids') && e.rating !== undefined)
      // scripts/stars-out-of-ten.js
      .map((e) => ({
        titleId: e.titleId,
        rating: (e.rating as number) * 2,
        tags: e.tags.filter((t) => t !== 'kids'),
      })),
    'all-plays': events,
  };
}

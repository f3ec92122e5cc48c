import { seededRandom } from '@stream-gen/runtime/testing';
import type { PlayEvent } from './model';

const COUNTRIES = ['US', 'US', 'BR', 'DE', 'IN', 'JP'];
const KINDS = ['tv', 'tv', 'phone', 'web'] as const;
const OS: Record<(typeof KINDS)[number], readonly string[]> = {
  tv: ['tizen', 'webos', 'android-tv'],
  phone: ['ios', 'android'],
  web: ['chrome', 'firefox'],
};
const TAGS = ['kids', 'drama', 'comedy', 'documentary', 'anime'];

/** `count` play events, seeded; about a third rated. */
export function generatePlayEvents(count: number, seed = 7): PlayEvent[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  return Array.from({ length: count }, (_, i) => {
    const kind = pick(KINDS);
    const event: PlayEvent = {
      playId: `play-${i}`,
      profileId: `profile-${Math.floor(next() * 200)}`,
      titleId: `title-${Math.floor(next() * 50)}`,
      country: pick(COUNTRIES),
      durationMs: Math.floor(next() * 3_600_000),
      device: { kind, os: pick(OS[kind]) },
      tags: TAGS.filter(() => next() < 0.3),
    };
    if (next() < 0.35) event.rating = 1 + Math.floor(next() * 5);
    return event;
  });
}

if (require.main === module) {
  const count = Number(process.argv[2] ?? 1000);
  for (const event of generatePlayEvents(count)) process.stdout.write(`${JSON.stringify(event)}\n`);
}

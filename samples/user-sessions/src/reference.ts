import type { Activity, Session } from './model';

/**
 * What the job must output for `activity`, computed directly rather than by merging
 * windows: heartbeats dropped, each user's events sorted by time and split wherever two
 * consecutive ones are `gapMs` or more apart. Events late when they arrive count
 * nowhere in the job: pass only the on-time ones.
 */
export function referenceSessions(activity: readonly Activity[], gapMs: number): Session[] {
  const perUser = new Map<string, number[]>();
  for (const a of activity) {
    if (a.action === 'heartbeat') continue;
    const times = perUser.get(a.userId);
    if (times) times.push(a.ts);
    else perUser.set(a.userId, [a.ts]);
  }
  const sessions: Session[] = [];
  for (const [userId, times] of perUser) {
    times.sort((x, y) => x - y);
    let current: Session = { userId, sessionStart: times[0], sessionEnd: times[0], eventCount: 0 };
    for (const ts of times) {
      if (ts - current.sessionEnd >= gapMs) {
        sessions.push(current);
        current = { userId, sessionStart: ts, sessionEnd: ts, eventCount: 0 };
      }
      current.sessionEnd = ts;
      current.eventCount++;
    }
    sessions.push(current);
  }
  return inOrder(sessions);
}

/** By user, then start: the order the comparisons in tests and the demo use. */
export function inOrder(sessions: readonly Session[]): Session[] {
  return [...sessions].sort(
    (a, b) => a.userId.localeCompare(b.userId) || a.sessionStart - b.sessionStart,
  );
}

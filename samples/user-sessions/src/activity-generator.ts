import { seededRandom } from '@stream-gen/runtime/testing';
import type { Activity } from './model';

const MINUTE = 60_000;
const GAP = 30 * MINUTE;
const ACTIONS = ['view', 'view', 'view', 'click', 'click', 'scroll', 'search', 'purchase'];

export interface ActivityGeneratorOptions {
  /** How many users (each gets an equal share of the events). */
  readonly users: number;
  /** Events in all, heartbeats included (default 3000). */
  readonly events?: number;
  readonly seed: number;
  /** Share of the events that are heartbeats (default 0.1). */
  readonly heartbeats?: number;
  /** Each event arrives less than this after its event time, ms (default 10 000: the job's bound). */
  readonly maxDelayMs?: number;
  /** First event time (default 2026-01-01T00:00:00Z). */
  readonly startMs?: number;
}

/**
 * Seeded user activity in arrival order. Each user has bursts of events (seconds to two
 * minutes apart) separated by pauses shorter than the 30 min gap, exactly it, 1 ms less
 * or more, or hours; heartbeats fall inside bursts and in the middle of pauses (where,
 * were they not dropped, they would join two sessions). An event arrives less than
 * `maxDelayMs` after its event time, so with the default none is late for the job's
 * 10 s bound.
 */
export function generateActivity(options: ActivityGeneratorOptions): Activity[] {
  const random = seededRandom(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const events = options.events ?? 3000;
  const heartbeats = options.heartbeats ?? 0.1;
  const maxDelay = options.maxDelayMs ?? 10_000;
  const start = options.startMs ?? Date.UTC(2026, 0, 1);
  const pause = () => {
    const r = random();
    if (r < 0.15) return GAP; // two sessions
    if (r < 0.3) return GAP - 1; // one session
    if (r < 0.35) return GAP + 1;
    if (r < 0.6) return MINUTE + pick(GAP - 2 * MINUTE); // one session
    return GAP + MINUTE + pick(4 * 60 * MINUTE);
  };
  const arriving: Array<{ at: number; activity: Activity }> = [];
  for (let u = 0; u < options.users; u++) {
    const userId = `user-${u}`;
    const count = Math.floor(events / options.users) + (u < events % options.users ? 1 : 0);
    let ts = start + pick(60 * MINUTE);
    let burst = 1 + pick(15);
    for (let i = 0; i < count; i++) {
      const heartbeat = random() < heartbeats;
      const action = heartbeat ? 'heartbeat' : ACTIONS[pick(ACTIONS.length)];
      const page = action === 'view' || action === 'click' ? `/page/${pick(50)}` : undefined;
      arriving.push({
        at: ts + pick(maxDelay),
        activity: { userId, ts, action, ...(page ? { page } : {}) },
      });
      if (--burst > 0 || heartbeat) {
        ts += 1000 + pick(2 * MINUTE);
        continue;
      }
      burst = 1 + pick(15);
      const next = pause();
      if (i + 1 < count && random() < 0.3) {
        // a heartbeat halfway through the pause: dropped, it must not bridge it
        i++;
        const mid = ts + Math.floor(next / 2);
        arriving.push({
          at: mid + pick(maxDelay),
          activity: { userId, ts: mid, action: 'heartbeat' },
        });
      }
      ts += next;
    }
  }
  // stable: equal arrival times keep the order they were made in
  return arriving.sort((a, b) => a.at - b.at).map((a) => a.activity);
}

/**
 * UserSessions in parts: the direct computation on hand-made activity, the generator's
 * edge cases, and the generated spec run by the job harness (one task, input batches
 * pushed by hand, the watermark moving after each), against the direct computation.
 */
import { HEADER_ID } from '@stream-gen/runtime';
import { JobHarness } from '@stream-gen/runtime/testing';
import {
  generateActivity,
  inOrder,
  referenceSessions,
  SESSION_GAP_MS,
  userSessionsJob,
  type Activity,
  type Session,
} from '../src';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const GAP = SESSION_GAP_MS;

const at = (userId: string, ts: number, action = 'view'): Activity => ({ userId, ts, action });

async function run(activity: readonly Activity[], batch = 100) {
  const h = await JobHarness.create({ job: userSessionsJob() });
  for (let i = 0; i < activity.length; i += batch)
    await h.push('activity', ...activity.slice(i, i + batch));
  await h.endOfInput();
  return h;
}

/** Non-heartbeat events of each user, in event time. */
function timelines(activity: readonly Activity[]): number[][] {
  const perUser = new Map<string, number[]>();
  for (const a of activity) {
    if (a.action === 'heartbeat') continue;
    perUser.set(a.userId, [...(perUser.get(a.userId) ?? []), a.ts]);
  }
  return [...perUser.values()].map((ts) => ts.sort((x, y) => x - y));
}

describe('referenceSessions', () => {
  // a: 10 min apart (one session), then exactly a gap (two), then 1 ms under it (one);
  // the heartbeat at 25 min is dropped and does not shorten the pause
  const activity = [
    at('a', T0 + 40 * MIN),
    at('b', T0 + 5 * MIN),
    at('a', T0),
    at('a', T0 + 25 * MIN, 'heartbeat'),
    at('a', T0 + 10 * MIN),
    at('a', T0 + 40 * MIN + GAP - 1),
    at('c', T0, 'heartbeat'),
  ];
  const expected: Session[] = [
    { userId: 'a', sessionStart: T0, sessionEnd: T0 + 10 * MIN, eventCount: 2 },
    { userId: 'a', sessionStart: T0 + 40 * MIN, sessionEnd: T0 + 70 * MIN - 1, eventCount: 2 },
    { userId: 'b', sessionStart: T0 + 5 * MIN, sessionEnd: T0 + 5 * MIN, eventCount: 1 },
  ];

  it('splits at a pause of the gap or more, drops heartbeats, sorts by user and start', () => {
    expect(referenceSessions(activity, GAP)).toEqual(expected);
  });

  it('gives the same sessions whatever the order of the input', () => {
    expect(referenceSessions([...activity].reverse(), GAP)).toEqual(expected);
  });

  it('inOrder sorts by user, then start', () => {
    expect(inOrder([expected[2], expected[1], expected[0]])).toEqual(expected);
  });
});

describe('generateActivity', () => {
  const activity = generateActivity({ users: 30, seed: 1 });

  it('is seeded: the same seed, the same activity', () => {
    expect(generateActivity({ users: 30, seed: 1 })).toEqual(activity);
    expect(generateActivity({ users: 30, seed: 2 })).not.toEqual(activity);
  });

  it('has heartbeats and pauses of exactly the gap and 1 ms under it', () => {
    expect(activity).toHaveLength(3000);
    expect(activity.filter((a) => a.action === 'heartbeat').length).toBeGreaterThan(100);
    const pauses = timelines(activity).flatMap((ts) => ts.slice(1).map((t, i) => t - ts[i]));
    expect(pauses.filter((p) => p === GAP).length).toBeGreaterThan(5);
    expect(pauses.filter((p) => p === GAP - 1).length).toBeGreaterThan(5);
    expect(pauses.filter((p) => p > GAP).length).toBeGreaterThan(5);
  });

  it('arrives out of order, each event less than 10 s behind the newest before it', () => {
    let newest = Number.NEGATIVE_INFINITY;
    let behind = 0;
    for (const a of activity) {
      expect(newest - a.ts).toBeLessThan(10_000);
      if (a.ts < newest) behind++;
      newest = Math.max(newest, a.ts);
    }
    expect(behind).toBeGreaterThan(100);
    expect(Math.min(...activity.map((a) => a.ts))).toBeGreaterThanOrEqual(T0);
  });
});

describe('UserSessions in the job harness (generated spec)', () => {
  it('outputs the sessions computed directly, one per session, named after its window', async () => {
    const activity = generateActivity({ users: 25, events: 2500, seed: 7 });
    const h = await run(activity);
    const expected = referenceSessions(activity, GAP);
    expect(h.sideOutput('late')).toEqual([]);
    expect(h.deadLetters()).toEqual([]);
    expect(inOrder(h.output<Session>())).toEqual(expected);
    expect(expected.length).toBeGreaterThan(100);
    const ids = h.records('main').map((r) => r.headers[HEADER_ID]);
    expect(new Set(ids).size).toBe(ids.length);
    const s = expected[0];
    expect(ids).toContain(
      `UserSessions/0/window@${s.sessionStart}-${s.sessionEnd + GAP}:${s.userId}#0`,
    );
  });

  it('merges two sessions an event arriving after both bridges, while the first is open', async () => {
    // the second event 30 min 5 s after the first: the watermark (5 s before the first
    // session's end) leaves that session open, and the event 15 min in joins all three
    const h = await JobHarness.create({ job: userSessionsJob() });
    await h.push('activity', at('a', T0));
    await h.push('activity', at('a', T0 + GAP + 5_000));
    expect(h.watermark).toBeLessThan(T0 + GAP - 1);
    expect(h.output()).toEqual([]);
    await h.push('activity', at('a', T0 + 15 * MIN));
    expect(h.sideOutput('late')).toEqual([]);
    await h.endOfInput();
    expect(h.output<Session>()).toEqual([
      { userId: 'a', sessionStart: T0, sessionEnd: T0 + GAP + 5_000, eventCount: 3 },
    ]);
  });

  it('once the first session fired, the bridging event joins only the later one', async () => {
    // 30 min 20 s: the watermark passes the first session's end, which fires; the event
    // 15 min in is not late (its own window is ahead of the watermark), it joins the second
    const h = await JobHarness.create({ job: userSessionsJob() });
    await h.push('activity', at('a', T0));
    await h.push('activity', at('a', T0 + GAP + 20_000));
    expect(h.watermark).toBeGreaterThanOrEqual(T0 + GAP - 1);
    expect(h.output<Session>()).toEqual([
      { userId: 'a', sessionStart: T0, sessionEnd: T0, eventCount: 1 },
    ]);
    await h.push('activity', at('a', T0 + 15 * MIN));
    await h.endOfInput();
    expect(h.sideOutput('late')).toEqual([]);
    expect(h.output<Session>()).toEqual([
      { userId: 'a', sessionStart: T0, sessionEnd: T0, eventCount: 1 },
      { userId: 'a', sessionStart: T0 + 15 * MIN, sessionEnd: T0 + GAP + 20_000, eventCount: 2 },
    ]);
  });

  it('sends an event far behind the watermark to late, and counts it nowhere', async () => {
    const activity = generateActivity({ users: 10, events: 500, seed: 3 });
    const first = Math.min(...activity.map((a) => a.ts));
    const stale = at('user-0', first - 60 * MIN);
    const h = await run([...activity, stale]);
    expect(h.sideOutput<Activity>('late')).toEqual([stale]);
    expect(inOrder(h.output<Session>())).toEqual(referenceSessions(activity, GAP));
  });
});

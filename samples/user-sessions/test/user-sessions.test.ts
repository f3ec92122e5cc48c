/**
 * UserSessions on the embedded backends, from the generated spec: the activity is not
 * partitioned by user, so each task reads every partition and keeps its users' events
 * (as the repartition topic does on Kafka). Sessions against the direct computation.
 */
import {
  EmbeddedLog,
  HEADER_ID,
  launchJob,
  silentLogger,
  type RunningJob,
  type TaskStatus,
} from '@stream-gen/runtime';
import {
  generateActivity,
  inOrder,
  referenceSessions,
  SESSION_GAP_MS,
  userSessionsJob,
  type Activity,
  type Session,
} from '../src';

const GAP = SESSION_GAP_MS;
const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const ID = /^UserSessions\/(\d+)\/window@(\d+)-(\d+):(.+)#0$/;

const at = (userId: string, ts: number, action = 'view'): Activity => ({ userId, ts, action });

/**
 * The activity in arrival order, round robin over `partitions` (no key), read to its end.
 * `stale` records arrive once every task has read the rest, made from the tasks'
 * watermarks then.
 */
async function runEmbedded(
  activity: readonly Activity[],
  partitions: number,
  stale?: (watermarks: number[]) => Activity[],
) {
  const log = new EmbeddedLog(partitions);
  log.createTopic('activity', partitions);
  const append = (records: readonly Activity[]) =>
    log.append(
      'activity',
      records.map((a) => ({ value: JSON.stringify(a) })),
    );
  append(activity);
  const read = <T>(topic: string) =>
    Array.from({ length: log.partitionCount(topic) }, (_, p) => log.read(topic, p, 0, 1e6).records)
      .flat()
      .map((r) => ({ id: r.headers[HEADER_ID], value: JSON.parse(r.value) as T }));
  // launchJob's runner also reports its tasks' status (what /health serves), undeclared
  const running = launchJob({
    job: userSessionsJob(),
    sinks: ['sessions', 'late', 'dead-letters'],
    log,
    logger: silentLogger,
  }) as RunningJob & { status(): TaskStatus[] };
  const done = running.run();
  let lateOnes: Activity[] = [];
  if (stale) {
    // each task reads every partition (positions `activity@<p>`, or `activity` on one task)
    const end = (p: number) => log.endOffset('activity', p);
    const readAll = (t: TaskStatus) =>
      partitions === 1
        ? t.positions.activity === end(0)
        : Array.from(
            { length: partitions },
            (_, p) => t.positions[`activity@${p}`] === end(p),
          ).every(Boolean);
    await until(() => {
      const tasks = running.status();
      return tasks.length === partitions && tasks.every(readAll);
    }).catch(async (error: unknown) => {
      await running.stop();
      throw error;
    });
    lateOnes = stale(running.status().map((t) => t.watermark));
    append(lateOnes);
  }
  log.seal('activity');
  const summary = await done;
  return {
    summary,
    stale: lateOnes,
    sessions: read<Session>('sessions'),
    late: read<Activity>('late'),
    deadLetters: read<unknown>('dead-letters'),
  };
}

async function until(check: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('UserSessions on embedded backends', () => {
  it('outputs the sessions computed directly, on 1 and 3 tasks, ids named after the windows', async () => {
    const activity = generateActivity({ users: 30, events: 3000, seed: 11 });
    const expected = referenceSessions(activity, GAP);
    expect(expected.length).toBeGreaterThan(150);
    for (const partitions of [1, 3]) {
      const { sessions, late, deadLetters } = await runEmbedded(activity, partitions);
      expect({ partitions, late, deadLetters }).toEqual({ partitions, late: [], deadLetters: [] });
      expect(inOrder(sessions.map((s) => s.value))).toEqual(expected);
      const ids = sessions.map((s) => s.id);
      expect(new Set(ids).size).toBe(ids.length);
      const taskOf = new Map<string, string>();
      for (const { id, value: s } of sessions) {
        const [, task, start, end, userId] = ID.exec(id) ?? [];
        expect({ start: Number(start), end: Number(end), userId }).toEqual({
          start: s.sessionStart,
          end: s.sessionEnd + GAP,
          userId: s.userId,
        });
        expect(Number(task)).toBeLessThan(partitions);
        // a user's sessions all come from the task that owns the user
        expect(taskOf.get(s.userId) ?? task).toBe(task);
        taskOf.set(s.userId, task);
      }
      expect(new Set(taskOf.values()).size).toBe(partitions);
    }
  });

  it('sends records far behind the watermark to late, and counts them in no session', async () => {
    const activity = generateActivity({ users: 12, events: 1200, seed: 4 });
    const first = Math.min(...activity.map((a) => a.ts));
    // arriving after the rest: an hour before the first event, and a gap before the
    // least of the tasks' watermarks, by a user with no other activity
    const behind = (watermarks: number[]) => [
      at('user-0', first - 60 * MIN),
      at('user-late', Math.min(...watermarks) - GAP),
    ];
    for (const partitions of [1, 3]) {
      const { sessions, late, stale } = await runEmbedded(activity, partitions, behind);
      expect(stale[1].ts).toBeGreaterThan(first + 60 * MIN);
      expect(late.map((l) => l.value)).toEqual(expect.arrayContaining(stale));
      expect(late).toHaveLength(stale.length);
      expect(inOrder(sessions.map((s) => s.value))).toEqual(referenceSessions(activity, GAP));
    }
  });

  it('never counts heartbeats: they neither make, extend nor join sessions', async () => {
    const activity = [
      // a: two sessions 40 min apart, heartbeats every 10 min between them
      at('a', T0),
      ...[10, 20, 30].map((m) => at('a', T0 + m * MIN, 'heartbeat')),
      at('a', T0 + 40 * MIN),
      // a heartbeat 20 min after a's last event: it does not extend the session
      at('a', T0 + 60 * MIN, 'heartbeat'),
      // b: heartbeats only, no session
      at('b', T0 + 5 * MIN, 'heartbeat'),
      at('b', T0 + 6 * MIN, 'heartbeat'),
    ];
    const { sessions, summary } = await runEmbedded(activity, 1);
    expect(inOrder(sessions.map((s) => s.value))).toEqual([
      { userId: 'a', sessionStart: T0, sessionEnd: T0, eventCount: 1 },
      { userId: 'a', sessionStart: T0 + 40 * MIN, sessionEnd: T0 + 40 * MIN, eventCount: 1 },
    ]);
    expect(summary.metrics.mainOut).toBe(2);
    // in the generated activity too: counted, heartbeats would join sessions
    const generated = generateActivity({ users: 10, events: 1000, seed: 9 });
    const { sessions: out } = await runEmbedded(generated, 3);
    const asActivity = generated.map((a) => ({ ...a, action: 'view' }));
    expect(inOrder(out.map((s) => s.value))).toEqual(referenceSessions(generated, GAP));
    expect(referenceSessions(asActivity, GAP)).not.toEqual(referenceSessions(generated, GAP));
  });

  it('merges two sessions an event bridges that arrives after both, the first still open', async () => {
    // m at t, then at t + 30 min 5 s: two sessions, the first not yet fired (its end - 1,
    // t + 30 min - 1, is ahead of the watermark, t + 30 min 5 s - 10 s); then, 15 min
    // behind the watermark, m at t + 15 min: its window overlaps both, the three merge
    const bridged = [at('m', T0), at('m', T0 + GAP + 5_000), at('m', T0 + 15 * MIN)];
    // n the same, in event-time order: the same session
    const inTime = [at('n', T0), at('n', T0 + 15 * MIN), at('n', T0 + GAP + 5_000)];
    for (const partitions of [1, 3]) {
      const { sessions, late } = await runEmbedded([...bridged, ...inTime], partitions);
      expect(late).toEqual([]);
      expect(inOrder(sessions.map((s) => s.value))).toEqual(
        ['m', 'n'].map((userId) => ({
          userId,
          sessionStart: T0,
          sessionEnd: T0 + GAP + 5_000,
          eventCount: 3,
        })),
      );
      // a merged session is a new window, named after its bounds
      expect(sessions.map((s) => s.id)).toContainEqual(
        expect.stringMatching(new RegExp(`/window@${T0}-${T0 + 2 * GAP + 5_000}:m#0$`)),
      );
    }
  });
});

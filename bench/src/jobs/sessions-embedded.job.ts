import { EmbeddedLog, launchJob, type Logger } from '@stream-gen/runtime';
import {
  generateActivity,
  inOrder,
  referenceSessions,
  SESSION_GAP_MS,
  UserSessions,
  type Activity,
  type Session,
} from '@stream-gen/sample-user-sessions';
import {
  userSessionsSinks,
  userSessionsSpec,
} from '@stream-gen/sample-user-sessions/dist/generated/user-sessions.runner.generated';
import { cpuSeconds } from '../measure-window';
import type { Measured } from '../protocol';

export interface EmbeddedSessionsParams {
  /** Activity records, heartbeats included. */
  readonly events: number;
  readonly users: number;
  readonly seed: number;
  /** Partitions of the embedded source topic (tasks of the job). */
  readonly partitions: number;
}

interface Mark {
  readonly at: number;
  readonly cpu: NodeJS.CpuUsage;
}

/**
 * UserSessions (sample) from its generated spec on the embedded backends (in-process
 * log, in-memory state), started with launchJob as its generated runner starts it. The
 * seeded activity is appended to the log (no key: round robin over the partitions, as
 * the source is not partitioned by user) and sealed before the run. The window is the
 * runner's run: from its "job ... starting" log line to its "job ... finished" line, so
 * generating the data before and checking against the reference sessions after are not
 * counted. Fails when the sessions differ from referenceSessions of the on-time events.
 */
export async function sessionsEmbedded(params: EmbeddedSessionsParams): Promise<Measured> {
  const activity = generateActivity({
    users: params.users,
    events: params.events,
    seed: params.seed,
  });
  const log = new EmbeddedLog(params.partitions);
  log.createTopic('activity');
  log.append(
    'activity',
    activity.map((a) => ({ value: JSON.stringify(a) })),
  );
  log.seal('activity');

  const mark = (): Mark => ({ at: performance.now(), cpu: process.cpuUsage() });
  let start: Mark | undefined;
  let end: Mark | undefined;
  const watch = (message: string) => {
    if (/^job \S+ starting/.test(message)) start = mark();
    else if (/^job \S+ (finished|stopped)/.test(message)) end = mark();
  };
  const logger: Logger = {
    debug: () => undefined,
    info: watch,
    warn: (m) => process.stderr.write(`[bench sessions-embedded] ${m}\n`),
    error: (m) => process.stderr.write(`[bench sessions-embedded] ${m}\n`),
  };
  const runner = launchJob({
    job: userSessionsSpec(() => new UserSessions()),
    sinks: userSessionsSinks,
    log,
    env: {},
    logger,
  });
  const whole = mark();
  const summary = await runner.run();
  if (start === undefined || end === undefined) start = whole;
  end ??= mark();

  const sessions = readAll(log, 'sessions') as Session[];
  const late = readAll(log, 'late') as Activity[];
  const deadLetters = readAll(log, 'dead-letters');
  const expected = referenceSessions(withoutLate(activity, late), SESSION_GAP_MS);
  const mismatches = compare(expected, inOrder(sessions));
  if (mismatches.length > 0 || deadLetters.length > 0) {
    throw new Error(
      `sessions-embedded: sessions differ from the reference (${deadLetters.length} dead letters): ` +
        mismatches.join('; '),
    );
  }
  return {
    events: activity.length,
    windowMs: end.at - start.at,
    cpuSeconds: cpuSeconds(start.cpu, end.cpu),
    redisRoundTrips: null,
    details: {
      users: params.users,
      tasks: summary.tasks,
      sessions: sessions.length,
      late: late.length,
      heartbeats: activity.filter((a) => a.action === 'heartbeat').length,
      matchesReference: true,
      window: start === whole ? 'whole run (log lines not found)' : 'runner run',
    },
  };
}

function readAll(log: EmbeddedLog, topic: string): unknown[] {
  if (!log.hasTopic(topic)) return [];
  const values: unknown[] = [];
  for (let p = 0; p < log.partitionCount(topic); p++) {
    for (const r of log.read(topic, p, 0, Number.MAX_SAFE_INTEGER).records)
      values.push(JSON.parse(r.value));
  }
  return values;
}

/** The activity without the records the job sent to `late` (they count in no session). */
function withoutLate(activity: readonly Activity[], late: readonly Activity[]): Activity[] {
  if (late.length === 0) return [...activity];
  const left = new Map<string, number>();
  for (const a of late) left.set(JSON.stringify(a), (left.get(JSON.stringify(a)) ?? 0) + 1);
  return activity.filter((a) => {
    const n = left.get(JSON.stringify(a)) ?? 0;
    if (n > 0) left.set(JSON.stringify(a), n - 1);
    return n === 0;
  });
}

/** Differences between the expected and the emitted sessions, both in order (at most 10). */
function compare(expected: readonly Session[], actual: readonly Session[]): string[] {
  const problems: string[] = [];
  if (actual.length !== expected.length) {
    problems.push(`${actual.length} sessions, expected ${expected.length}`);
  }
  for (let i = 0; i < Math.max(expected.length, actual.length) && problems.length < 10; i++) {
    const [e, a] = [JSON.stringify(expected[i]), JSON.stringify(actual[i])];
    if (e !== a) problems.push(`session ${i}: expected ${e}, got ${a}`);
  }
  return problems;
}

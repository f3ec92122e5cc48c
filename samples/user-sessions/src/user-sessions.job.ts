import { Sink, Source, StreamJob, Window } from '@stream-gen/annotations';
import type { WindowAggregate, WindowBounds } from '@stream-gen/runtime';
import { DropHeartbeats } from './drop-heartbeats.stage';
import type { Activity, Session } from './model';

/** The gap of `@Window({ session })` below, in ms. */
export const SESSION_GAP_MS = 30 * 60_000;

/** What a session window keeps: its first and last event time and how many events. */
export interface SessionAcc {
  first: number;
  last: number;
  count: number;
}

/**
 * Session windows per user: the events of a user less than 30 min apart (heartbeats
 * dropped by the `drop-heartbeats` stage) are one session, emitted to `sessions` once
 * the watermark passes 30 min after its last event. An event too late to join any open
 * session goes to `late`.
 */
@StreamJob({
  name: 'UserSessions',
  deadLetters: 'dead-letters',
  stages: [DropHeartbeats],
})
@Source<Activity>('activity', { eventTime: 'ts', maxOutOfOrderness: '10s' })
@Sink('sessions')
@Sink('late')
@Sink('dead-letters')
@Window({
  input: 'active',
  key: 'userId',
  session: { gap: '30m' },
  output: 'sessions',
  sideOutputs: { late: 'late' },
})
export class UserSessions implements WindowAggregate<Activity, SessionAcc, Session> {
  createAccumulator(): SessionAcc {
    // kept as JSON: no Infinity (it would come back as null)
    return { first: 0, last: 0, count: 0 };
  }

  add(activity: Activity, acc: SessionAcc): SessionAcc {
    acc.first = acc.count === 0 ? activity.ts : Math.min(acc.first, activity.ts);
    acc.last = acc.count === 0 ? activity.ts : Math.max(acc.last, activity.ts);
    acc.count++;
    return acc;
  }

  /** Two sessions an event bridged. */
  merge(a: SessionAcc, b: SessionAcc): SessionAcc {
    if (a.count === 0 || b.count === 0) return a.count === 0 ? b : a;
    return {
      first: Math.min(a.first, b.first),
      last: Math.max(a.last, b.last),
      count: a.count + b.count,
    };
  }

  result(acc: SessionAcc, window: WindowBounds): Session {
    return {
      userId: window.key,
      sessionStart: acc.first,
      sessionEnd: acc.last,
      eventCount: acc.count,
    };
  }
}

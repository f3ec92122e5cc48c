import { randomUUID } from 'node:crypto';
import type { TaskStatus } from '../task/stream-task-options';

/** A new instance id: 8 hex digits, random per start of a process. */
export const newInstanceId = (): string => randomUUID().slice(0, 8);

/**
 * The counters of one process of a job, as its heartbeat last wrote them: totals since
 * it started, over the tasks it ran (the job's counters are per process, not per task).
 */
export interface InstanceCounters {
  readonly recordsIn: number;
  /** Records emitted to the main output. */
  readonly recordsOut: number;
  readonly late: number;
  readonly deadLetters: number;
  readonly timersFired: number;
  readonly checkpoints: number;
}

/**
 * One running process of a job (one start of it), as it registers itself in Redis: who
 * and where it is, which version of the job it runs, the tasks it owns with their
 * watermarks, positions and checkpoints, and its counters. Written whole at every
 * heartbeat, so a reader never sees a record half old, half new.
 */
export interface InstanceRecord {
  readonly job: string;
  /** Random per start: a restarted process is another instance. */
  readonly instance: string;
  readonly host: string;
  readonly pid: number;
  /** A hash of the job's generated spec (see `job-version.ts`): instances of two builds differ. */
  readonly version: string;
  /** The base URL of its HTTP port (`/health`, `/metrics`, `/state`), when it has one. */
  readonly url?: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms of the heartbeat that wrote this record (the writer's clock). */
  readonly lastHeartbeat: number;
  /** How often it heartbeats, ms: a reader counts it gone after a few missed beats. */
  readonly heartbeatMs: number;
  /** Set by the last heartbeat of a process that stopped cleanly; it then owns no task. */
  readonly stoppedAt?: number;
  readonly tasks: readonly TaskStatus[];
  readonly counters: InstanceCounters;
}

/** `running`: heartbeating; `stopped`: said so as it stopped; `gone`: stopped heartbeating (killed, cut off). */
export type InstanceState = 'running' | 'stopped' | 'gone';

/** Heartbeats an instance may miss before it counts as gone. */
export const MISSED_BEATS_GONE = 3;

export function instanceState(record: InstanceRecord, now: number): InstanceState {
  if (record.stoppedAt !== undefined) return 'stopped';
  return now - record.lastHeartbeat > MISSED_BEATS_GONE * record.heartbeatMs ? 'gone' : 'running';
}

/** A record as a listing shows it: with its state and the age of its last heartbeat. */
export interface InstanceView extends InstanceRecord {
  readonly state: InstanceState;
  /** Ms since its last heartbeat, by the reader's clock. */
  readonly heartbeatAgeMs: number;
}

export function instanceView(record: InstanceRecord, now: number): InstanceView {
  return {
    ...record,
    state: instanceState(record, now),
    heartbeatAgeMs: Math.max(0, now - record.lastHeartbeat),
  };
}

import { hostname } from 'node:os';
import type { Cluster, Redis } from 'ioredis';
import { sendAll, type RedisCommand } from '../connectors/view-cache/view-cache-scripts';
import { redisClient } from '../runner/redis-client';
import type { RedisTarget } from '../runner/redis-target';
import type { JobMetrics } from '../task/metrics';
import type { TaskStatus } from '../task/stream-task-options';
import { errorMessage } from '../util/error-message';
import type { Logger } from '../util/logger';
import { newInstanceId, type InstanceRecord } from './instance-record';
import { InstanceRegistry } from './instance-registry';
import { byTaskId } from './task-order';

/** How often an instance heartbeats by default, ms. */
export const HEARTBEAT_MS = 1000;
/** Every this many beats, the beat also drops the job's records gone for long. */
const PRUNE_EVERY = 60;

/** What a heartbeat reports of the job it runs in. */
export interface HeartbeatSource {
  status(): TaskStatus[];
  readonly metrics: JobMetrics;
}

/**
 * More writes that go with every heartbeat, on keys of the job's hash tag (the task
 * owners of state queries): one timer and one pipeline per beat for all of them.
 */
export interface HeartbeatPart {
  /** The commands of this beat. */
  commands(now: number): readonly RedisCommand[];
  /** After the beat: the first error among the replies to its commands, if any. */
  settled(error: Error | undefined): void;
  /** The commands of the last beat, as the process stops. */
  leave(): readonly RedisCommand[];
}

export interface InstanceHeartbeatOptions {
  readonly job: string;
  /** See `job-version.ts`. */
  readonly version: string;
  /** The Redis of the job's state. */
  readonly target: RedisTarget;
  readonly keyPrefix: string;
  readonly source: HeartbeatSource;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/**
 * The heartbeat of one process of a job: every second, off the tasks' path (a timer,
 * one pipeline), it rewrites its {@link InstanceRecord} in the {@link InstanceRegistry}
 * with the tasks' status and the job's counters, and sends what its parts add. It has
 * its own Redis client, whose commands fail rather than wait (the state's client waits
 * out an outage): a beat that cannot be written is skipped, and the instance shows as
 * gone until one is again. Its last beat, on a clean stop, marks the record stopped.
 */
export class InstanceHeartbeat {
  readonly instance = newInstanceId();
  private readonly host = hostname();
  readonly intervalMs: number;
  /** The base URL of the process's HTTP port, once it listens. */
  url: string | undefined;
  private readonly now: () => number;
  private startedAt = 0;
  private client: Redis | Cluster | undefined;
  private registry: InstanceRegistry | undefined;
  private readonly parts = new Set<HeartbeatPart>();
  private ticker: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private beats = 0;
  private failing = false;

  constructor(private readonly options: InstanceHeartbeatOptions) {
    this.intervalMs = options.intervalMs ?? HEARTBEAT_MS;
    this.now = options.now ?? Date.now;
  }

  /** The heartbeat's Redis client, for the reads of its parts; set once started. */
  get redis(): Redis | Cluster {
    if (!this.client) throw new Error('the heartbeat has not started');
    return this.client;
  }

  /** Registers the instance (the first beat) and beats on until stopped. */
  async start(): Promise<void> {
    this.startedAt = this.now();
    this.client = redisClient(this.options.target, {
      retry: (attempt) => Math.min(attempt * 200, 5000),
      maxRetriesPerRequest: 1,
    });
    this.client.on('error', () => undefined); // a beat that fails says so
    this.registry = new InstanceRegistry(this.client, this.options.keyPrefix);
    this.options.logger.info(
      `registered as instance ${this.instance} of ${this.options.job} (version ${this.options.version})`,
    );
    await this.tick();
    this.ticker = setInterval(() => void this.tick(), this.intervalMs);
    this.ticker.unref();
  }

  /** Sends `part`'s commands with every beat, from one now on. */
  async join(part: HeartbeatPart): Promise<void> {
    this.parts.add(part);
    await this.beating; // one under way went without it
    await this.tick();
  }

  /** Sends `part`'s `leave` now, and nothing of it any more. */
  async leave(part: HeartbeatPart): Promise<void> {
    if (!this.parts.delete(part)) return;
    await this.beating;
    if (this.client) await sendAll(this.client, part.leave()).catch(() => undefined);
  }

  /** Stops beating (once); the last beat marks the record stopped and sends the parts' `leave`. */
  async stop(): Promise<void> {
    clearInterval(this.ticker);
    this.ticker = undefined;
    await this.beating;
    const client = this.client;
    if (!client || !this.registry) return;
    this.client = undefined;
    const now = this.now();
    const last = [
      ...this.registry.beat({ ...this.record(now), tasks: [], stoppedAt: now }),
      ...[...this.parts].flatMap((p) => p.leave()),
    ];
    await sendAll(client, last).catch(() => undefined);
    this.parts.clear();
    // QUIT waits for a connection; one that never came is dropped
    if (client.status === 'ready') await client.quit().catch(() => undefined);
    else client.disconnect();
  }

  /** One beat, unless the one before is still under way (Redis slow): that one counts. */
  private tick(): Promise<void> {
    if (!this.client) return Promise.resolve();
    this.beating ??= this.beat().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beat(): Promise<void> {
    const client = this.client as Redis | Cluster;
    const registry = this.registry as InstanceRegistry;
    const now = this.now();
    const parts = [...this.parts].map((part) => ({ part, commands: part.commands(now) }));
    const own = registry.beat(this.record(now));
    let error: Error | undefined;
    try {
      const replies = await sendAll(client, [...own, ...parts.flatMap((p) => p.commands)]);
      error = replies.slice(0, own.length).find(([e]) => e)?.[0] ?? undefined;
      let at = own.length;
      for (const { part, commands } of parts) {
        const mine = replies.slice(at, (at += commands.length));
        part.settled(mine.find(([e]) => e)?.[0] ?? undefined);
      }
    } catch (thrown) {
      error = thrown instanceof Error ? thrown : new Error(String(thrown));
      for (const { part } of parts) part.settled(error);
    }
    this.report(error);
    if (!error && this.beats++ % PRUNE_EVERY === 0) {
      await registry.prune(this.options.job, now).catch(() => undefined);
    }
  }

  private record(now: number): InstanceRecord {
    const m = this.options.source.metrics;
    return {
      job: this.options.job,
      instance: this.instance,
      host: this.host,
      pid: process.pid,
      version: this.options.version,
      ...(this.url !== undefined && { url: this.url }),
      startedAt: this.startedAt,
      lastHeartbeat: now,
      heartbeatMs: this.intervalMs,
      tasks: [...this.options.source.status()].sort((a, b) => byTaskId(a.task, b.task)),
      counters: {
        recordsIn: m.recordsIn,
        recordsOut: m.mainOut,
        late: m.late,
        deadLetters: m.deadLetters,
        timersFired: m.timersFired,
        checkpoints: m.checkpoints,
      },
    };
  }

  /** Logs the first failed beat and the first one that succeeds again. */
  private report(error: Error | undefined): void {
    if (error && !this.failing) {
      this.options.logger.warn(
        `registry: cannot write this instance's heartbeat (${errorMessage(error)}); the job runs on, listed as gone until a heartbeat goes through`,
      );
    } else if (!error && this.failing) {
      this.options.logger.info('registry: heartbeating again');
    }
    this.failing = error !== undefined;
  }
}

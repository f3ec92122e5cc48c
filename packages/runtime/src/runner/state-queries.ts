import { hostname } from 'node:os';
import type { StateEndpointTarget } from '../query/state-endpoint';
import type { QueryAnswer, StateQuery } from '../query/state-query';
import { TaskOwners, type Announcement } from '../query/task-owners';
import type { HeartbeatPart, InstanceHeartbeat } from '../registry/instance-heartbeat';
import { newInstanceId } from '../registry/instance-record';
import { errorMessage } from '../util/error-message';
import type { Logger } from '../util/logger';
import { namespaceFrom } from './env-overrides';

/** How many heartbeats an announcement holds for: a few missed ones do not make the tasks move. */
const ANNOUNCEMENT_HOLDS_BEATS = 5;

/** What {@link StateQueries} asks of the job it serves. */
interface QueryableJob {
  status(): ReadonlyArray<{ readonly task: string }>;
  queryState(query: StateQuery): Promise<QueryAnswer>;
}

/**
 * The state queries of one process of a job: answered from its own tasks, and, on Kafka
 * with Redis state (several processes share the tasks, and each heartbeats in the
 * registry), its tasks announced with every heartbeat so that the others forward
 * queries to it, at `STREAM_GEN_ADVERTISED_URL` (default `http://<host name>:<port>`).
 */
export class StateQueries implements StateEndpointTarget {
  readonly instance: string;
  owners: TaskOwners | undefined;
  private part: HeartbeatPart | undefined;
  private failing = false;

  constructor(
    private readonly job: string,
    private readonly runner: QueryableJob,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
    /** The process's heartbeat: absent when it runs alone (embedded, or over files). */
    private readonly heartbeat?: InstanceHeartbeat,
  ) {
    this.instance = heartbeat?.instance ?? newInstanceId();
  }

  readonly now = (): number => Date.now();

  queryState(query: StateQuery): Promise<QueryAnswer> {
    return this.runner.queryState(query);
  }

  /** Starts announcing, when the job shares its tasks with other processes. */
  async start(port: number): Promise<void> {
    const heartbeat = this.heartbeat;
    if (!heartbeat) return;
    const url = this.env.STREAM_GEN_ADVERTISED_URL || `http://${hostname()}:${port}`;
    heartbeat.url = url;
    const { redisKeyPrefix } = namespaceFrom(this.env);
    const owners = new TaskOwners(heartbeat.redis, redisKeyPrefix, this.job, this.instance, url);
    this.owners = owners;
    this.logger.info(
      `state queries at ${url}/state/<stage>/<state>/<key> (instance ${this.instance})`,
    );
    const holdsMs = ANNOUNCEMENT_HOLDS_BEATS * heartbeat.intervalMs;
    let sent: Announcement | undefined;
    this.part = {
      commands: (now) => {
        sent = owners.announcement(
          this.runner.status().map((t) => t.task),
          now + holdsMs,
        );
        return sent.commands;
      },
      settled: (error) => {
        if (!error) sent?.confirm();
        this.report(error);
      },
      leave: () => owners.announcement([], 0).commands,
    };
    await heartbeat.join(this.part);
  }

  /** Releases every task this process announced (before its HTTP port closes). */
  async stop(): Promise<void> {
    if (this.part) await this.heartbeat?.leave(this.part);
    this.part = undefined;
  }

  private report(error: Error | undefined): void {
    if (error && !this.failing) {
      this.logger.warn(
        `state queries: cannot announce this process's tasks (${errorMessage(error)}); other processes answer 503 for them meanwhile`,
      );
    } else if (!error && this.failing) {
      this.logger.info('state queries: announcing the tasks again');
    }
    this.failing = error !== undefined;
  }
}

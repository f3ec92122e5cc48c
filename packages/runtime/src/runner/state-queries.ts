import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { StateEndpointTarget } from '../query/state-endpoint';
import type { QueryAnswer, StateQuery } from '../query/state-query';
import { TaskOwners } from '../query/task-owners';
import { errorMessage } from '../util/error-message';
import type { Logger } from '../util/logger';
import { namespaceFrom } from './env-overrides';
import { redisClient } from './redis-client';
import { redisTarget } from './redis-target';
import type { Cluster, Redis } from 'ioredis';

/** How often a process announces its tasks, ms; an announcement holds for a few of these. */
const ANNOUNCE_EVERY_MS = 1000;
const ANNOUNCEMENT_HOLDS_MS = 5000;

/** What {@link StateQueries} asks of the job it serves. */
interface QueryableJob {
  status(): ReadonlyArray<{ readonly task: string }>;
  queryState(query: StateQuery): Promise<QueryAnswer>;
}

/**
 * The state queries of one process of a job: answered from its own tasks, and, on Kafka
 * with Redis state (several processes share the tasks), its tasks announced in the
 * registry every second so that the others forward queries to it, at
 * `STREAM_GEN_ADVERTISED_URL` (default `http://<host name>:<port>`).
 */
export class StateQueries implements StateEndpointTarget {
  readonly instance = randomUUID().slice(0, 8);
  owners: TaskOwners | undefined;
  private client: Redis | Cluster | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly job: string,
    private readonly runner: QueryableJob,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
  ) {}

  readonly now = (): number => Date.now();

  queryState(query: StateQuery): Promise<QueryAnswer> {
    return this.runner.queryState(query);
  }

  /** Starts announcing, when the job shares its tasks with other processes. */
  async start(port: number): Promise<void> {
    const target = this.env.KAFKA_BROKERS ? redisTarget(this.env) : undefined;
    if (!target) return;
    const url = this.env.STREAM_GEN_ADVERTISED_URL || `http://${hostname()}:${port}`;
    this.client = redisClient(target, {
      retry: (attempt) => Math.min(attempt * 200, 5000),
      maxRetriesPerRequest: 1,
    });
    this.client.on('error', () => undefined); // an announcement that fails says so below
    const { redisKeyPrefix } = namespaceFrom(this.env);
    this.owners = new TaskOwners(this.client, redisKeyPrefix, this.job, this.instance, url);
    this.logger.info(
      `state queries at ${url}/state/<stage>/<state>/<key> (instance ${this.instance})`,
    );
    await this.announce();
    this.ticker = setInterval(() => void this.announce(), ANNOUNCE_EVERY_MS);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await this.owners?.releaseAll().catch(() => undefined);
    await this.client?.quit().catch(() => undefined);
  }

  private async announce(): Promise<void> {
    const owners = this.owners;
    if (!owners) return;
    try {
      await owners.announce(
        this.runner.status().map((t) => t.task),
        this.now() + ANNOUNCEMENT_HOLDS_MS,
      );
      if (this.failing) this.logger.info('state queries: announcing the tasks again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        this.logger.warn(
          `state queries: cannot announce this process's tasks (${errorMessage(error)}); other processes answer 503 for them meanwhile`,
        );
      }
      this.failing = true;
    }
  }
}

import type { Cluster, Redis } from 'ioredis';
import { EmbeddedLog } from '../connectors/embedded-log';
import type { SinkConnector } from '../connectors/connector';
import type { BrokerClient, BrokerProducer } from '../connectors/kafka/broker-client';
import { KafkaSink } from '../connectors/kafka/kafka.sink';
import { KafkajsClient } from '../connectors/kafka/kafkajs.client';
import { describeKafkaSecurity, kafkaSecurityFromEnv } from '../connectors/kafka/kafka-security';
import { MemoryStateBackend } from '../state/memory-state.backend';
import { RedisStateBackend } from '../state/redis';
import type { StateBackend } from '../state/state-backend';
import { backoffMs } from '../util/retry';
import { ConfigurationError } from '../util/errors';
import type { Logger } from '../util/logger';
import { embeddedBackends, type EmbeddedBackends } from './embedded-backends';
import { explainRedisError, redisClient } from './redis-client';
import { redisTarget, type RedisTarget } from './redis-target';

/**
 * Kafka for sources and sinks (KAFKA_BROKERS), with Redis state (REDIS_URL, or a Cluster:
 * REDIS_CLUSTER_NODES) or memory state.
 */
export interface KafkaBackends {
  readonly mode: 'kafka';
  readonly client: BrokerClient;
  readonly backend: StateBackend;
  readonly description: string;
  sink(name: string, topic?: string): SinkConnector;
  /** Disconnects the shared producer and the Redis client. */
  close(): Promise<void>;
}

export type Backends = EmbeddedBackends | KafkaBackends;

/**
 * Picks the backends from the environment: KAFKA_BROKERS unset is embedded (log and
 * state in this process); KAFKA_BROKERS selects Kafka, with Redis state when REDIS_URL
 * or REDIS_CLUSTER_NODES is set too (see {@link redisTarget}).
 */
export function resolveBackends(
  env: NodeJS.ProcessEnv,
  logger: Logger,
  log?: EmbeddedLog,
  redisKeyPrefix?: string,
): Backends {
  const brokers = parseBrokers(env.KAFKA_BROKERS);
  if (!brokers) {
    // The embedded log does not outlive the process, so durable state would restore
    // positions into a log that starts over: state stays with the log, in memory.
    const given = ['REDIS_URL', 'REDIS_CLUSTER_NODES'].filter((name) => env[name]);
    if (given.length > 0) {
      logger.warn(
        `${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} not used for state without KAFKA_BROKERS: ` +
          "the embedded log keeps its state in memory (a job's views still publish there)",
      );
    }
    return embeddedBackends(log);
  }
  const security = kafkaSecurityFromEnv(env);
  const target = redisTarget(env);
  const redis = target && connectRedis(target, logger);
  const state: StateBackend = redis
    ? new RedisStateBackend(redis, { keyPrefix: redisKeyPrefix })
    : new MemoryStateBackend();
  if (!redis) {
    logger.warn(
      'KAFKA_BROKERS is set but neither REDIS_URL nor REDIS_CLUSTER_NODES is: state is in this process only and does not move with partitions',
    );
  }
  const client = new KafkajsClient({
    brokers,
    logger,
    // at least a broker's default group.min.session.timeout.ms; heartbeats go every second
    sessionTimeoutMs: wholeMs(
      env,
      'STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS',
      6000,
      ' (brokers refuse less by default)',
    ),
    maxWaitTimeMs: wholeMs(env, 'STREAM_GEN_KAFKA_MAX_WAIT_MS', 1, ''),
    security,
  });
  // plaintext says nothing, as before; anything else names protocol, user and files
  const secured = security.tls || security.sasl ? ` (${describeKafkaSecurity(security)})` : '';
  let producer: Promise<BrokerProducer> | undefined;
  const sharedProducer = () => (producer ??= client.producer());
  return {
    mode: 'kafka',
    client,
    backend: state,
    description: `Kafka at ${brokers.join(',')}${secured} with ${target ? `${redisName(target)} state at ${target.display}` : 'in-memory state'}`,
    sink: (name, topic) => new KafkaSink(name, topic ?? name, sharedProducer),
    async close() {
      if (producer) await (await producer).disconnect();
      // QUIT waits for a connection; one that never came (Redis away, refused) is dropped
      if (redis?.status === 'ready') await redis.quit();
      else redis?.disconnect();
    },
  };
}

/**
 * A whole number of milliseconds from the environment, at least `min`; `why` says
 * where the minimum comes from.
 */
function wholeMs(
  env: NodeJS.ProcessEnv,
  name: string,
  min: number,
  why: string,
): number | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < min) {
    throw new ConfigurationError(
      `${name} must be whole milliseconds, at least ${min}${why}, got "${raw}"`,
    );
  }
  return ms;
}

function parseBrokers(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const bad = brokers.filter((b) => !/^[^\s:]+:\d+$/.test(b));
  if (brokers.length === 0 || bad.length > 0) {
    throw new ConfigurationError(`KAFKA_BROKERS must be a comma list of host:port, got "${value}"`);
  }
  return brokers;
}

const OUTAGE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Why Redis could not be reached: a wrong password or an untrusted certificate looks like
 * an outage otherwise. A Cluster's error names the error of the last node it tried.
 */
function why(error: Error | undefined, target: RedisTarget): string {
  if (!error) return '';
  // one server that does not answer is an outage, and the line says so already
  if (target.kind === 'standalone' && OUTAGE.has((error as NodeJS.ErrnoException).code ?? '')) {
    return '';
  }
  const last = (error as Error & { lastNodeError?: unknown }).lastNodeError;
  const explain = (e: unknown) => explainRedisError(e, target);
  return ` (${explain(error)}${last ? ` ${explain(last)}` : ''})`;
}

const redisName = (target: RedisTarget) => (target.kind === 'cluster' ? 'Redis Cluster' : 'Redis');

/**
 * A client that waits for Redis rather than failing commands, so an outage holds the
 * tasks back until it is over; each retry is logged.
 */
function connectRedis(target: RedisTarget, logger: Logger): Redis | Cluster {
  let lastError: Error | undefined;
  const retry = (attempt: number) => {
    const wait = backoffMs(attempt + 1, 100, 5000);
    logger.warn(
      `${redisName(target)} at ${target.display} unavailable${why(lastError, target)}; retrying in ${wait} ms`,
    );
    return wait;
  };
  const client = redisClient(target, { retry, maxRetriesPerRequest: null });
  // Both report why they could not connect as an error event before they retry.
  client.on('error', (error: Error) => (lastError = error));
  client.on('ready', () => (lastError = undefined));
  return client;
}

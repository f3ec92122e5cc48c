import { Redis } from 'ioredis';
import { EmbeddedLog } from '../connectors/embedded-log';
import type { SinkConnector } from '../connectors/connector';
import type { BrokerClient, BrokerProducer } from '../connectors/kafka/broker-client';
import { KafkaSink } from '../connectors/kafka/kafka.sink';
import { KafkajsClient } from '../connectors/kafka/kafkajs.client';
import { MemoryStateBackend } from '../state/memory-state.backend';
import { RedisStateBackend } from '../state/redis';
import type { StateBackend } from '../state/state-backend';
import { ConfigurationError } from '../util/errors';
import type { Logger } from '../util/logger';
import { embeddedBackends, type EmbeddedBackends } from './embedded-backends';

/** Kafka for sources and sinks (KAFKA_BROKERS), with Redis state (REDIS_URL) or memory state. */
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
 * is set too.
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
    if (env.REDIS_URL) {
      logger.warn(
        'REDIS_URL is ignored without KAFKA_BROKERS: the embedded log keeps its state in memory',
      );
    }
    return embeddedBackends(log);
  }
  const redis = env.REDIS_URL ? connectRedis(env.REDIS_URL, logger) : undefined;
  const state: StateBackend = redis
    ? new RedisStateBackend(redis, { keyPrefix: redisKeyPrefix })
    : new MemoryStateBackend();
  if (!redis) {
    logger.warn(
      'KAFKA_BROKERS is set but REDIS_URL is not: state is in this process only and does not move with partitions',
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
  });
  let producer: Promise<BrokerProducer> | undefined;
  const sharedProducer = () => (producer ??= client.producer());
  return {
    mode: 'kafka',
    client,
    backend: state,
    description: `Kafka at ${brokers.join(',')} with ${redis ? `Redis state at ${redact(env.REDIS_URL)}` : 'in-memory state'}`,
    sink: (name, topic) => new KafkaSink(name, topic ?? name, sharedProducer),
    async close() {
      if (producer) await (await producer).disconnect();
      await redis?.quit();
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

function connectRedis(url: string, logger: Logger): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => {
      const wait = Math.min(5000, 100 * 2 ** attempt);
      logger.warn(`Redis at ${redact(url)} unavailable; retrying in ${wait} ms`);
      return wait;
    },
  });
  client.on('error', () => undefined);
  return client;
}

/** The URL without its password, for logs. */
function redact(url: string | undefined): string {
  return (url ?? '').replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

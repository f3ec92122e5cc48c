import { Kafka, logLevel, type KafkaMessage, type SASLOptions } from 'kafkajs';
import { DEFAULT_KAFKA_MAX_WAIT_MS } from '@stream-gen/runtime';
import { measureWindow, type RunningJob } from '../measure-window';
import { percentile } from '../percentile';
import type { Measured } from '../protocol';
import type { JobChannel } from './job-channel';

export interface RawConsumeParams {
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
  /** Events to read per pass; omitted: read until the bench says stop (latency mode). */
  readonly expected?: number;
  /** Reads the topics this many times (a new group each time) and reports the median pass. */
  readonly passes?: number;
  /** Latency mode: records sent in the first milliseconds are not sampled. */
  readonly warmupMs?: number;
  /** kafkajs' own TLS (trusting this CA) and SASL; omitted: plaintext. */
  readonly security?: RawConsumeSecurity;
}

export interface RawConsumeSecurity {
  readonly caPem?: string;
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

function rawKafka(params: RawConsumeParams): Kafka {
  const { caPem, sasl } = params.security ?? {};
  return new Kafka({
    brokers: [...params.brokers],
    logLevel: logLevel.ERROR,
    ...(caPem && { ssl: { ca: [caPem] } }),
    ...(sasl && { sasl: { ...sasl } as SASLOptions }),
  });
}

/**
 * The ceiling of every Kafka workload: a kafkajs consumer (eachBatch) that parses each
 * record's JSON and nothing else, fetching like the runtime's consumer does (kafkajs
 * defaults but the runtime's fetch wait, all partitions concurrently, no auto-commit). Its window is short, so it
 * reads the data several times and reports the median pass.
 */
export async function rawConsume(params: RawConsumeParams, channel: JobChannel): Promise<Measured> {
  const kafka = rawKafka(params);
  const passes: Measured[] = [];
  for (let pass = 1; pass <= (params.passes ?? 1); pass++) {
    const job = await startConsumer(kafka, `${params.groupId}.${pass}`, params, () => undefined);
    passes.push(await measureWindow(job, { expected: params.expected, onReady: channel.ready }));
  }
  const rate = (m: Measured) => m.events / m.windowMs;
  const median = [...passes].sort((a, b) => rate(a) - rate(b))[Math.floor(passes.length / 2)];
  return {
    ...median,
    details: { passesEventsPerSec: passes.map((m) => Math.round(rate(m) * 1000)) },
  };
}

/**
 * The latency floor: the same consumer on input produced live, until the bench says
 * stop; each record's latency is its arrival minus its Kafka timestamp (set by the
 * producer when it sent the record, same machine clock). Records sent in the first
 * `warmupMs` after the first one are not sampled.
 */
export async function rawConsumeLatency(
  params: RawConsumeParams,
  channel: JobChannel,
): Promise<Measured> {
  const kafka = rawKafka(params);
  const latencies: number[] = [];
  let firstSent: number | undefined;
  const job = await startConsumer(kafka, params.groupId, params, (message, now) => {
    const sent = Number(message.timestamp);
    firstSent ??= sent;
    if (sent - firstSent >= (params.warmupMs ?? 0)) latencies.push(now - sent);
  });
  const measured = await measureWindow(job, {
    stopRequested: channel.stopRequested,
    onReady: channel.ready,
  });
  latencies.sort((a, b) => a - b);
  return {
    ...measured,
    details: {
      latencyP50Ms: percentile(latencies, 0.5),
      latencyP99Ms: percentile(latencies, 0.99),
      sampled: latencies.length,
    },
  };
}

async function startConsumer(
  kafka: Kafka,
  groupId: string,
  params: RawConsumeParams,
  onMessage: (message: KafkaMessage, now: number) => void,
): Promise<RunningJob> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: params.sessionTimeoutMs,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: DEFAULT_KAFKA_MAX_WAIT_MS,
  });
  let parsed = 0;
  let assigned = false;
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  consumer.on(consumer.events.GROUP_JOIN, () => (assigned = true));
  consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
  await consumer.connect();
  await consumer.subscribe({ topics: [...params.topics], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 64,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        JSON.parse(message.value?.toString('utf8') ?? 'null');
        onMessage(message, now);
        parsed++;
      }
    },
  });
  return {
    progress: () => parsed,
    ready: () => assigned,
    failed,
    stop: () => consumer.disconnect(),
    details: () => ({}),
  };
}

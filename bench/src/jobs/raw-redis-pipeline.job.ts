import { generateEvents, joinKey, type GeneratedEvent } from '@stream-gen/sample-impression-join';
import { Redis } from 'ioredis';
import { cpuSeconds } from '../measure-window';
import type { Measured } from '../protocol';

export interface RawRedisParams {
  readonly redisUrl: string;
  readonly impressions: number;
  readonly seed: number;
  readonly partitions: number;
  readonly batchSize: number;
}

/**
 * The Redis ceiling: the join's input in batches; per batch, one pipeline reading the
 * state of every key of the batch (an HMGET per state hash) and one pipeline writing it
 * back (an HSET of all fields per hash). The keys are those the Redis state backend
 * uses for ImpressionJoin: hash `sg:{<job>:<task>}:state:<state>`, field = join key,
 * value = a JSON state entry. Two round trips per batch.
 */
export async function rawRedisPipeline(params: RawRedisParams): Promise<Measured> {
  const redis = new Redis(params.redisUrl);
  const events = generateEvents({ impressions: params.impressions, seed: params.seed });
  await redis.ping();
  let pipelines = 0;
  let commands = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += params.batchSize) {
    const byHash = groupByHash(events.slice(i, i + params.batchSize), params.partitions);
    const reads = redis.pipeline();
    for (const [hash, fields] of byHash) reads.hmget(hash, ...fields.keys());
    await reads.exec();
    const writes = redis.pipeline();
    for (const [hash, fields] of byHash) writes.hset(hash, fields);
    await writes.exec();
    pipelines += 2;
    commands += 2 * byHash.size;
  }
  const windowMs = performance.now() - t0;
  const cpu = cpuSeconds(cpu0, process.cpuUsage());
  await redis.quit();
  return {
    events: events.length,
    windowMs,
    cpuSeconds: cpu,
    redisRoundTrips: pipelines,
    details: { batchSize: params.batchSize, commands },
  };
}

/** State hash -> join key -> the key's new state entry (JSON), for a batch of events. */
function groupByHash(
  batch: readonly GeneratedEvent[],
  partitions: number,
): Map<string, Map<string, string>> {
  const byHash = new Map<string, Map<string, string>>();
  for (const e of batch) {
    const field = joinKey(e.value);
    const hash = `sg:{RawRedis:${stringHash(field) % partitions}}:state:${e.topic}`;
    let fields = byHash.get(hash);
    if (!fields) byHash.set(hash, (fields = new Map()));
    fields.set(field, JSON.stringify({ value: [e.value] }));
  }
  return byHash;
}

/** A small string hash to spread keys over the tasks. */
function stringHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h;
}

import { HEADER_ID, RedisSink, type OutRecord } from '@stream-gen/runtime';
import { Redis } from 'ioredis';
import type { Measured } from '../protocol';
import { measureSinkWrites, type SinkJobParams, type SinkTarget } from './sink-writes';

export interface SinkRedisParams extends SinkJobParams {
  readonly redisUrl: string;
  /** `stream`: XADD of fields id and value per record; `hash`: HSET id -> value. */
  readonly form: 'stream' | 'hash';
  /** `sink`: RedisSink; `raw`: an ioredis pipeline of the same commands per write call. */
  readonly client: 'sink' | 'raw';
}

function rawPipeline(redis: Redis, form: SinkRedisParams['form'], key: string) {
  return async (records: readonly OutRecord[]) => {
    const pipeline = redis.pipeline();
    for (const r of records) {
      const value = r.encoded as string;
      if (form === 'stream') pipeline.xadd(key, '*', 'id', r.headers[HEADER_ID], 'value', value);
      else pipeline.hset(key, r.headers[HEADER_ID], value);
    }
    const failed = ((await pipeline.exec()) ?? []).find(([error]) => error);
    if (failed) throw failed[0];
  };
}

/**
 * RedisSink, or a raw ioredis pipeline of the same commands, writing the tv-plays
 * records to a stream or a hash; then the key must hold every record, the last one as
 * written. One pipeline (round trip) per write call either way.
 */
export async function sinkRedis(params: SinkRedisParams): Promise<Measured> {
  const redis = new Redis(params.redisUrl);
  const sinks: RedisSink[] = [];
  const keyOf = (name: string) => `bench:${params.client}:${params.form}:${name}`;
  const target: SinkTarget = {
    async open(name) {
      const key = keyOf(name);
      await redis.del(key);
      if (params.client === 'raw') return rawPipeline(redis, params.form, key);
      const sink = new RedisSink('plays', { [params.form]: key, url: params.redisUrl });
      sinks.push(sink);
      await sink.open();
      // open() does not wait for the connection: let it connect outside the window
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (records) => sink.write(records);
    },
    async verify(name, records) {
      const key = keyOf(name);
      const last = records[records.length - 1];
      const [length, lastValue] =
        params.form === 'stream'
          ? [
              await redis.xlen(key),
              ((await redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[1] ?? []).join(' '),
            ]
          : [await redis.hlen(key), await redis.hget(key, last.headers[HEADER_ID])];
      const expected =
        params.form === 'stream'
          ? `id ${last.headers[HEADER_ID]} value ${last.encoded}`
          : last.encoded;
      if (length !== records.length || lastValue !== expected) {
        throw new Error(
          `${key} holds ${length} entries (the last ${String(lastValue)}), expected ${records.length} (${expected})`,
        );
      }
      return { entries: length };
    },
    async close() {
      await Promise.allSettled(sinks.map((s) => s.close()));
      await redis.quit();
    },
  };
  const measured = await measureSinkWrites(params, target);
  return {
    ...measured,
    // one pipeline per write call (the process's own round-trip counter skips pipelines)
    redisRoundTrips: Math.ceil(measured.events / params.writeSize),
    details: { ...measured.details, form: params.form, client: params.client },
  };
}

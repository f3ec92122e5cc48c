import type { Cluster, Redis } from 'ioredis';
import { HEADER_ID, type OutRecord } from '../records';
import { redisClient } from '../runner/redis-client';
import { redisTarget, type RedisTarget } from '../runner/redis-target';
import type { SinkConnector } from './connector';
import { encodeJson } from './json-codec';

export interface RedisSinkOptions {
  /** Appends each record to this stream (XADD): fields `id` and `value`. */
  readonly stream?: string;
  /** Sets each record as a field of this hash (HSET): its id to its value. */
  readonly hash?: string;
  /** Default: `REDIS_URL`, then redis://127.0.0.1:6379. */
  readonly url?: string;
}

/**
 * Writes records to Redis, one pipeline per batch: to a stream, where a record written
 * again after a restart is appended again with the same `id` field (consumers skip ids
 * they have seen), or to a hash keyed by the record's `stream-gen-id`, where it
 * replaces itself.
 */
export class RedisSink implements SinkConnector {
  private client: Redis | Cluster | undefined;

  constructor(
    readonly name: string,
    private readonly options: RedisSinkOptions,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    if ((options.stream === undefined) === (options.hash === undefined)) {
      throw new Error(`sink "${name}": give exactly one of stream and hash`);
    }
  }

  describe(): string {
    return this.options.stream !== undefined
      ? `Redis stream ${this.options.stream}`
      : `Redis hash ${this.options.hash}`;
  }

  async open(): Promise<void> {
    const url = this.options.url ?? this.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    this.client = redisClient(redisTarget({ REDIS_URL: url }) as RedisTarget, {
      retry: (attempt) => Math.min(attempt * 200, 5000),
      // a write fails while Redis is away, and the runner retries it with backoff
      maxRetriesPerRequest: 1,
    });
  }

  async write(records: readonly OutRecord[]): Promise<void> {
    const client = this.client;
    if (!client) throw new Error(`sink "${this.name}" is not open`);
    if (records.length === 0) return;
    const pipeline = client.pipeline();
    const { stream, hash } = this.options;
    for (const record of records) {
      const value = record.encoded ?? encodeJson(record.value);
      const id = record.headers[HEADER_ID];
      if (stream !== undefined) pipeline.xadd(stream, '*', 'id', id, 'value', value);
      else pipeline.hset(hash as string, id, value);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async close(): Promise<void> {
    await this.client?.quit().catch(() => undefined);
    this.client = undefined;
  }
}

/**
 * RedisSink against the redis-server of the jest global setup; each test writes under a
 * key prefix of its own, so runs and tests never read each other's entries.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisSink } from '../src/connectors/redis.sink';
import { HEADER_ID, type OutRecord } from '../src/records';
import { testServices } from '../test-services/services';

const { redisUrl } = testServices();
const run = `redis-sink-test:${process.pid}:${randomBytes(4).toString('hex')}`;
let keys = 0;
const uniqueKey = (what: string) => `${run}:${++keys}:${what}`;

let redis: Redis;
const sinks: RedisSink[] = [];

beforeAll(() => {
  redis = new Redis(redisUrl);
});

afterAll(async () => {
  await Promise.allSettled(sinks.map((s) => s.close()));
  const written = await redis.keys(`${run}:*`);
  if (written.length > 0) await redis.del(...written);
  redis.disconnect();
});

async function openSink(options: { stream?: string; hash?: string }): Promise<RedisSink> {
  const sink = new RedisSink('plays', { ...options, url: redisUrl });
  sinks.push(sink);
  await sink.open();
  return sink;
}

function record(id: string, value: unknown, encoded?: string): OutRecord {
  return { key: null, value, encoded, headers: { [HEADER_ID]: id }, timestamp: 0 };
}

describe('RedisSink', () => {
  it('appends each record to the stream with its id and value fields', async () => {
    const stream = uniqueKey('stream');
    const sink = await openSink({ stream });

    await sink.write([
      record('id-1', { user: 'u1', score: 3 }),
      // a value the task already encoded is written as it is
      record('id-2', { ignored: true }, '{"user":"u2"}'),
    ]);
    await sink.write([record('id-3', 'plain')]);

    const entries = await redis.xrange(stream, '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['id', 'id-1', 'value', '{"user":"u1","score":3}'],
      ['id', 'id-2', 'value', '{"user":"u2"}'],
      ['id', 'id-3', 'value', '"plain"'],
    ]);
  });

  it('sets each record into the hash under its id, a record written again replacing itself', async () => {
    const hash = uniqueKey('hash');
    const sink = await openSink({ hash });

    await sink.write([record('id-1', { score: 1 }), record('id-2', { score: 2 })]);
    expect(await redis.hgetall(hash)).toEqual({ 'id-1': '{"score":1}', 'id-2': '{"score":2}' });

    // a redelivery after a restart, one record changed: the hash does not grow
    await sink.write([record('id-1', { score: 1 }), record('id-2', { score: 20 })]);
    expect(await redis.hgetall(hash)).toEqual({ 'id-1': '{"score":1}', 'id-2': '{"score":20}' });
    expect(await redis.hlen(hash)).toBe(2);
  });

  it('writes nothing for an empty batch', async () => {
    const stream = uniqueKey('stream');
    const sink = await openSink({ stream });

    await sink.write([]);

    expect(await redis.exists(stream)).toBe(0);
  });

  it('rejects a write the server answers with an error, so that it is retried', async () => {
    const stream = uniqueKey('not-a-stream');
    await redis.set(stream, 'a string key');
    const sink = await openSink({ stream });

    await expect(sink.write([record('id-1', 1)])).rejects.toThrow(/WRONGTYPE/);
  });

  it('takes exactly one of stream and hash', () => {
    expect(() => new RedisSink('plays', { stream: 's', hash: 'h' })).toThrow(
      'sink "plays": give exactly one of stream and hash',
    );
    expect(() => new RedisSink('plays', {})).toThrow(
      'sink "plays": give exactly one of stream and hash',
    );
  });
});

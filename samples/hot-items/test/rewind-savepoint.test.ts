/**
 * HotItems, a sliding-window stage and a keyed stage across a repartition, on Kafka and
 * Redis: a savepoint taken while the job runs, more bids processed, the job stopped and
 * rewound to the savepoint (what `stream-gen savepoint` and `stream-gen rewind` run),
 * then run to the end. Stage one's state is window state: the value `windows` per auction
 * and a timer per window. The savepoint holds exactly the windows still open at its
 * checkpoint, with the counts of the bids read by then; the rewind puts them back, and
 * the bids before the restored positions are not read again, so the windows open at the
 * savepoint close with counts only the restored state holds. Every hot item equals the
 * direct computation over the bids, and an output written again carries the same
 * content under the same id. The exchange still holds what the discarded run sent; the
 * stage applies none of it twice. A record that something else wrote to the exchange
 * topic is a dead letter.
 */
import * as path from 'node:path';
import { Redis } from 'ioredis';
import {
  HEADER_ID,
  withCheckpointAdmin,
  type CheckpointAdmin,
  type DeadLetter,
} from '@stream-gen/runtime';
import { taskKeys } from '../../../packages/runtime/src/state/redis/redis-keys';
import {
  startJobProcess,
  type JobProcess,
} from '../../../packages/runtime/test-services/job-process';
import {
  kafkaClient,
  produce,
  TopicReader,
  type ConsumedRecord,
} from '../../../packages/runtime/test-services/kafka-io';
import { testServices } from '../../../packages/runtime/test-services/services';
import { closingBids } from './closing-bids';
import {
  generateBids,
  inOrder,
  referenceHotItems,
  WINDOW_SIZE_MS,
  WINDOW_SLIDE_MS,
  type Bid,
  type HotItem,
} from '../src';

jest.setTimeout(180_000);
const services = testServices();
const MAIN = path.join(__dirname, '..', 'dist', 'generated', 'hot-items.main.generated.js');
const PARTITIONS = 4;
const EXCHANGE = 'HotItems.hot-items.repartition';
const UPSTREAM = ['0', '1', '2', '3'];
const SAVEPOINT = 'mid-run';

/** The windows of an auction as stage one keeps them in `windows`: start, end and count. */
type OpenWindows = Array<{ start: number; end: number; acc: number }>;

/**
 * What `windows` must hold per auction after reading `bids`, at task watermark
 * `watermark`: every window with a bid that has not fired yet (fired at `end - 1`,
 * removed then, as the job allows no lateness), with its bids counted.
 */
function openWindows(bids: readonly Bid[], watermark: number): Record<string, OpenWindows> {
  const out: Record<string, Record<number, number>> = {};
  for (const b of bids) {
    const first = Math.floor(b.dateTime / WINDOW_SLIDE_MS) * WINDOW_SLIDE_MS;
    for (let start = first; start > b.dateTime - WINDOW_SIZE_MS; start -= WINDOW_SLIDE_MS) {
      if (start + WINDOW_SIZE_MS - 1 <= watermark) continue;
      const counts = (out[String(b.auction)] ??= {});
      counts[start] = (counts[start] ?? 0) + 1;
    }
  }
  return Object.fromEntries(
    Object.entries(out).map(([auction, counts]) => [
      auction,
      byStart(
        Object.entries(counts).map(([start, acc]) => ({
          start: Number(start),
          end: Number(start) + WINDOW_SIZE_MS,
          acc,
        })),
      ),
    ]),
  );
}

const byStart = (windows: OpenWindows) => [...windows].sort((a, b) => a.start - b.start);

/** A state hash as the Redis backend writes it: field = key, value = `{ value, ... }`. */
async function stateHash(redis: Redis, key: string): Promise<Record<string, unknown>> {
  const fields = await redis.hgetall(key);
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, (JSON.parse(v) as { value: unknown }).value]),
  );
}

describe('HotItems rewound to a savepoint on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const redis = new Redis(services.redisUrl);
  const jobs: JobProcess[] = [];
  let reader: TopicReader | undefined;

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    await reader?.close();
    await redis.quit();
  });

  it('restores window state and timers from the savepoint; outputs the direct computation, outputs written again the same', async () => {
    const ns = `hi-rewind-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of ['bids', 'hot-items', 'late', 'dead-letters', EXCHANGE])
      await services.kafka.createTopic(topic(name), PARTITIONS);
    const env = {
      KAFKA_BROKERS: services.kafkaBrokers.join(','),
      REDIS_URL: services.redisUrl,
      STREAM_GEN_NAMESPACE: ns,
      STREAM_GEN_CHECKPOINT_INTERVAL_MS: '200',
      STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const keys = (task: string) => taskKeys(`sg:${ns}`, { job: 'HotItems', task });
    const admin = <T>(use: (a: CheckpointAdmin) => Promise<T>) => withCheckpointAdmin(env, use);
    // 160 s of event time: 84 windows, some with tied auctions
    const bids = generateBids({ bids: 8_000, seed: 33 });
    const expected = referenceHotItems(bids);
    expect(expected.length).toBeGreaterThan(new Set(expected.map((h) => h.windowStart)).size);
    const lastEnd = Math.max(...expected.map((h) => h.windowEnd));
    const start = () => {
      const job = startJobProcess(MAIN, { env });
      jobs.push(job);
      return job;
    };
    const send = (from: number, to: number) =>
      produce(
        kafka,
        topic('bids'),
        bids.slice(from, to).map((b) => ({ key: String(b.auction), value: b })),
      );
    reader = await TopicReader.start(kafka, [
      topic('bids'),
      topic('hot-items'),
      topic('late'),
      topic('dead-letters'),
    ]);
    const of = (name: string) => reader?.records.filter((r) => r.topic === topic(name)) ?? [];
    const hot = () => of('hot-items');
    const ids = (records = hot()) => new Set(records.map((r) => r.headers[HEADER_ID]));
    const windowsOut = () => new Set(hot().map((r) => (r.value as HotItem).windowEnd)).size;

    await send(0, 3000);
    const first = start();
    await reader.waitFor(
      () => windowsOut() >= 10,
      90_000,
      () => first.output(),
    );
    await send(3000, 4000);
    // while the job runs: each stage's tasks are copied before the tasks that feed them
    const saved = await admin((a) => a.savepoint('HotItems', SAVEPOINT));
    expect(saved.tasks.map((t) => t.task).sort()).toEqual(
      [...UPSTREAM, ...[0, 1, 2, 3].map((p) => `hot-items/${p}`)].sort(),
    );
    const atSavepoint = hot().length;

    // the savepoint holds stage one's open windows, exact: for every task, the windows of
    // the bids it had read (its partition below its saved position) not yet fired at
    // its saved watermark, each counted, and one pending timer per window
    await reader.waitFor(
      () => of('bids').length >= 4000,
      30_000,
      () => `${of('bids').length} bids read back`,
    );
    let openAtSavepoint = 0;
    for (const task of UPSTREAM) {
      const checkpoint = saved.tasks.find((t) => t.task === task)!.checkpoint;
      const position = checkpoint.positions.bids;
      expect(position).toBeGreaterThan(0);
      const read = of('bids')
        .filter((r: ConsumedRecord) => r.partition === Number(task) && r.offset < position)
        .map((r) => r.value as Bid);
      expect(read.length).toBe(position);
      const open = openWindows(read, checkpoint.watermarks.current);
      const copy = await stateHash(redis, keys(task).savepointState(SAVEPOINT, 'windows'));
      expect(Object.keys(copy).length).toBeGreaterThan(0);
      // (a key's windows are kept in the order they opened)
      const sorted = Object.fromEntries(
        Object.entries(copy).map(([auction, w]) => [auction, byStart(w as OpenWindows)]),
      );
      expect(sorted).toEqual(open);
      const windows = Object.values(open).reduce((n, w) => n + w.length, 0);
      expect(checkpoint.timers.event).toBe(windows);
      openAtSavepoint += windows;
    }

    await send(4000, 6000);
    // the run the rewind discards gets well past the savepoint
    await reader.waitFor(
      () => windowsOut() >= 40,
      90_000,
      () => `${windowsOut()} windows out\n${first.output()}`,
    );
    expect(await first.stop()).toBe('SIGTERM');
    const discarded = hot().slice(atSavepoint);
    expect(discarded.length).toBeGreaterThan(0);
    // the discarded run moved stage one's windows on from the savepoint's
    for (const task of UPSTREAM) {
      expect(await stateHash(redis, keys(task).state('windows'))).not.toEqual(
        await stateHash(redis, keys(task).savepointState(SAVEPOINT, 'windows')),
      );
    }

    const rewound = await admin((a) => a.rewind('HotItems', SAVEPOINT));
    expect(rewound.tasks.map((t) => t.task).sort()).toEqual(saved.tasks.map((t) => t.task).sort());
    for (const t of rewound.tasks) {
      const copy = saved.tasks.find((s) => s.task === t.task)!.checkpoint;
      expect(t.to.positions).toEqual(copy.positions);
      expect(t.to.watermarks).toEqual(copy.watermarks);
      expect(t.to.timers).toEqual(copy.timers);
      if (t.task.includes('/')) {
        // the stage goes back to its copy
        expect(t.restored).toBeUndefined();
        expect(t.to.id).toBeLessThan(t.from ?? 0);
      } else {
        // the tasks that feed it continue past every epoch the rewind discarded
        expect(t.restored).toBeLessThan(t.from ?? 0);
        expect(t.to.id).toBe((t.from ?? 0) + 2);
        // with the savepoint's windows
        expect(await stateHash(redis, keys(t.task).state('windows'))).toEqual(
          await stateHash(redis, keys(t.task).savepointState(SAVEPOINT, 'windows')),
        );
      }
    }
    const restartedAt = hot().length;

    // something else writes to the exchange topic: a dead letter, the rest goes on
    await produce(kafka, topic(EXCHANGE), [{ value: 'x', raw: 'not an envelope', partition: 1 }]);
    await send(6000, bids.length);
    await produce(kafka, topic('bids'), closingBids(bids, PARTITIONS));
    // under the same consumer groups, whose offsets the first run committed past the
    // restored positions: every task reads on from its restored position all the same
    const second = start();
    await second.waitForLog(/status on http/);
    const stage = async () =>
      (await second.health()).tasks.filter((t) => t.task.startsWith('hot-items/'));
    // every window has closed in every task of the stage, so all it emits is out
    for (let tries = 0; ; tries++) {
      const tasks = await stage();
      if (tasks.length === PARTITIONS && tasks.every((t) => t.watermark >= lastEnd)) break;
      if (tries > 600) throw new Error(`the stage did not finish:\n${second.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // and the reader has it all
    for (let seen = -1; seen !== hot().length;) {
      seen = hot().length;
      await new Promise((r) => setTimeout(r, 1500));
    }

    const byId = new Map<string, string>();
    let again = 0;
    for (const r of hot()) {
      const content = JSON.stringify(r.value);
      const seen = byId.get(r.headers[HEADER_ID]);
      if (seen !== undefined) {
        again++;
        expect(content).toBe(seen);
      }
      byId.set(r.headers[HEADER_ID], content);
    }
    // what the discarded run output was written again after the rewind, the same
    const afterRewind = ids(hot().slice(restartedAt));
    const rewritten = [...ids(discarded)].filter((id) => afterRewind.has(id));
    expect(rewritten.length).toBeGreaterThan(0);
    expect(inOrder([...byId.values()].map((v) => JSON.parse(v) as HotItem))).toEqual(expected);
    expect(of('late')).toEqual([]);
    const dead = of('dead-letters');
    expect(dead.length).toBeGreaterThan(0);
    expect(new Set(dead.map((r) => JSON.stringify(r.value)))).toEqual(
      new Set([JSON.stringify(dead[0].value)]),
    );
    expect(dead[0].value as DeadLetter).toMatchObject({
      reason: expect.stringMatching(/^not a stream-gen exchange record: not valid JSON/),
      source: 'auction-counts',
      partition: 1,
      value: 'not an envelope',
    });
    // the stage dropped what the exchange held of the discarded epochs
    const voided =
      second.output().match(/dropped \d+ record\(s\) of upstream epochs a rewind discarded/g) ?? [];
    expect(voided.length).toBeGreaterThan(0);
    expect(await second.stop()).toBe('SIGTERM');
    process.stderr.write(
      `hot-items rewind: ${openAtSavepoint} windows open in the savepoint; ` +
        `${discarded.length} hot items discarded, ${rewritten.length} of them ` +
        `and ${again} outputs in all written again; ` +
        `${voided.length} log line(s) of discarded epochs dropped, e.g. ${voided[0]}\n`,
    );
  });
});

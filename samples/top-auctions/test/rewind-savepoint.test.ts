/**
 * TopAuctions, two keyed stages across a repartition, on Kafka and Redis: a savepoint
 * taken while the job runs, more bids processed, the job stopped and rewound to the
 * savepoint (what `stream-gen savepoint` and `stream-gen rewind` run), then run to the
 * end. The exchange still holds what the discarded run sent, committed markers
 * included; the stage must apply none of it twice. So every top auction equals the
 * direct computation over the bids, and an output written again carries the same
 * content under the same id. A record that something else wrote to the exchange topic
 * is a dead letter.
 */
import * as path from 'node:path';
import {
  HEADER_ID,
  withCheckpointAdmin,
  type CheckpointAdmin,
  type DeadLetter,
} from '@stream-gen/runtime';
import {
  startJobProcess,
  type JobProcess,
} from '../../../packages/runtime/test-services/job-process';
import {
  kafkaClient,
  produce,
  TopicReader,
} from '../../../packages/runtime/test-services/kafka-io';
import { testServices } from '../../../packages/runtime/test-services/services';
import { closingBids } from './closing-bids';
import { generateBids, inOrder, referenceTop, type TopAuction } from '../src';

jest.setTimeout(180_000);
const services = testServices();
const MAIN = path.join(__dirname, '..', 'dist', 'generated', 'top-auctions.main.generated.js');
const PARTITIONS = 4;
const EXCHANGE = 'TopAuctions.top-auction.repartition';

describe('TopAuctions rewound to a savepoint on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const jobs: JobProcess[] = [];
  let reader: TopicReader | undefined;

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    await reader?.close();
  });

  it('outputs the direct computation after the rewind; outputs written again carry the same id and content', async () => {
    const ns = `ta-rewind-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of ['bids', 'top', 'late', 'dead-letters', EXCHANGE])
      await services.kafka.createTopic(topic(name), PARTITIONS);
    const env = {
      KAFKA_BROKERS: services.kafkaBrokers.join(','),
      REDIS_URL: services.redisUrl,
      STREAM_GEN_NAMESPACE: ns,
      STREAM_GEN_CHECKPOINT_INTERVAL_MS: '200',
      STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const admin = <T>(use: (a: CheckpointAdmin) => Promise<T>) => withCheckpointAdmin(env, use);
    // 200 s of event time: 20 windows of 6 categories
    const bids = generateBids({ bids: 20_000, seed: 33, perSecond: 100 });
    const expected = referenceTop(bids);
    const lastEnd = Math.max(...expected.map((t) => t.windowEnd));
    const start = () => {
      const job = startJobProcess(MAIN, { env });
      jobs.push(job);
      return job;
    };
    const send = (from: number, to: number) =>
      produce(
        kafka,
        topic('bids'),
        bids.slice(from, to).map((b) => ({ key: b.auction, value: b })),
      );
    reader = await TopicReader.start(kafka, [topic('top'), topic('late'), topic('dead-letters')]);
    const tops = () => reader?.records.filter((r) => r.topic === topic('top')) ?? [];
    const ids = (records = tops()) => new Set(records.map((r) => r.headers[HEADER_ID]));

    await send(0, 8000);
    const first = start();
    await reader.waitFor(
      () => ids().size >= 4 * 6,
      90_000,
      () => first.output(),
    );
    await send(8000, 10_000);
    // while the job runs: each stage's tasks are copied before the tasks that feed them
    const saved = await admin((a) => a.savepoint('TopAuctions', 'mid-run'));
    expect(saved.tasks.map((t) => t.task).sort()).toEqual(
      ['0', '1', '2', '3', ...[0, 1, 2, 3].map((p) => `top-auction/${p}`)].sort(),
    );
    const atSavepoint = tops().length;
    await send(10_000, 16_000);
    // the run the rewind discards gets well past the savepoint
    await reader.waitFor(
      () => ids().size >= 12 * 6,
      90_000,
      () => `${ids().size} tops\n${first.output()}`,
    );
    expect(await first.stop()).toBe('SIGTERM');
    const discarded = tops().slice(atSavepoint);
    expect(discarded.length).toBeGreaterThan(0);

    const rewound = await admin((a) => a.rewind('TopAuctions', 'mid-run'));
    for (const t of rewound.tasks) {
      if (t.task.includes('/')) {
        // the stage goes back to its copy
        expect(t.restored).toBeUndefined();
        expect(t.to.id).toBeLessThan(t.from ?? 0);
      } else {
        // the tasks that feed it continue past every epoch the rewind discarded
        expect(t.restored).toBeLessThan(t.from ?? 0);
        expect(t.to.id).toBe((t.from ?? 0) + 2);
      }
    }
    const restartedAt = tops().length;

    // something else writes to the exchange topic: a dead letter, the rest goes on
    await produce(kafka, topic(EXCHANGE), [{ value: 'x', raw: 'not an envelope', partition: 1 }]);
    await send(16_000, bids.length);
    await produce(kafka, topic('bids'), closingBids(bids, PARTITIONS));
    // under the same consumer groups, whose offsets the first run committed past the
    // restored positions: every task reads on from its restored position all the same
    const second = start();
    await second.waitForLog(/status on http/);
    const stage = async () =>
      (await second.health()).tasks.filter((t) => t.task.startsWith('top-auction/'));
    // every window has closed in every task of the stage, so all it emits is out
    for (let tries = 0; ; tries++) {
      const tasks = await stage();
      if (tasks.length === PARTITIONS && tasks.every((t) => t.watermark >= lastEnd)) break;
      if (tries > 600) throw new Error(`the stage did not finish:\n${second.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // and the reader has it all
    for (let seen = -1; seen !== tops().length;) {
      seen = tops().length;
      await new Promise((r) => setTimeout(r, 1500));
    }

    const byId = new Map<string, string>();
    let again = 0;
    for (const r of tops()) {
      const content = JSON.stringify(r.value);
      const seen = byId.get(r.headers[HEADER_ID]);
      if (seen !== undefined) {
        again++;
        expect(content).toBe(seen);
      }
      byId.set(r.headers[HEADER_ID], content);
    }
    // what the discarded run output was written again after the rewind, the same
    const afterRewind = ids(tops().slice(restartedAt));
    const rewritten = [...ids(discarded)].filter((id) => afterRewind.has(id));
    expect(rewritten.length).toBeGreaterThan(0);
    expect(inOrder([...byId.values()].map((v) => JSON.parse(v) as TopAuction))).toEqual(expected);
    expect(reader.records.filter((r) => r.topic === topic('late'))).toEqual([]);
    const dead = reader.records.filter((r) => r.topic === topic('dead-letters'));
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
      `top-auctions rewind: ${discarded.length} tops discarded, ${rewritten.length} of them ` +
        `and ${again} outputs in all written again; ` +
        `${voided.length} log line(s) of discarded epochs dropped, e.g. ${voided[0]}\n`,
    );
  });
});

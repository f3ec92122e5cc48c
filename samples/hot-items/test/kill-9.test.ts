/**
 * HotItems, a sliding-window stage and a keyed stage across a repartition, killed with
 * SIGKILL while bids keep arriving on Kafka, state in Redis, then started again: every
 * hot item equals the direct computation over the bids (so the windows' counts, and
 * stage two's state built from them, were applied exactly once across the kills), and
 * an output written twice is the same record under the same id.
 */
import * as path from 'node:path';
import { HEADER_ID } from '@stream-gen/runtime';
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
import { generateBids, inOrder, referenceHotItems, type HotItem } from '../src';

jest.setTimeout(150_000);
const services = testServices();
const MAIN = path.join(__dirname, '..', 'dist', 'generated', 'hot-items.main.generated.js');
const PARTITIONS = 4;

describe('HotItems killed with SIGKILL mid-run on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const jobs: JobProcess[] = [];
  let reader: TopicReader | undefined;

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    await reader?.close();
  });

  it('outputs the direct computation after restarts; duplicates carry the same id and content', async () => {
    const ns = `hi-kill-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of [
      'bids',
      'hot-items',
      'late',
      'dead-letters',
      'HotItems.hot-items.repartition',
    ])
      await services.kafka.createTopic(topic(name), PARTITIONS);
    // 120 s of event time: 64 windows, some with tied auctions
    const bids = generateBids({ bids: 6_000, seed: 21 });
    const expected = referenceHotItems(bids);
    expect(expected.length).toBeGreaterThan(new Set(expected.map((h) => h.windowStart)).size);
    const start = () => {
      const job = startJobProcess(MAIN, {
        env: {
          KAFKA_BROKERS: services.kafkaBrokers.join(','),
          REDIS_URL: services.redisUrl,
          STREAM_GEN_NAMESPACE: ns,
          STREAM_GEN_CHECKPOINT_INTERVAL_MS: '200',
          STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
        },
      });
      jobs.push(job);
      return job;
    };
    reader = await TopicReader.start(kafka, [
      topic('hot-items'),
      topic('late'),
      topic('dead-letters'),
    ]);
    const hot = () => reader?.records.filter((r) => r.topic === topic('hot-items')) ?? [];
    const ids = () => new Set(hot().map((r) => r.headers[HEADER_ID]));
    const first = start();
    // the bids keep coming while the job runs: a twentieth (6 s of event time) every 700 ms
    const feeding = (async () => {
      for (let i = 0; i < 20; i++) {
        const chunk = bids.slice(i * 300, (i + 1) * 300);
        await produce(
          kafka,
          topic('bids'),
          chunk.map((b) => ({ key: String(b.auction), value: b })),
        );
        await new Promise((r) => setTimeout(r, 700));
      }
      await produce(kafka, topic('bids'), closingBids(bids, PARTITIONS));
    })();
    // killed twice: once a quarter, then half of the hot items are out
    let job = first;
    const atKills: number[] = [];
    for (const share of [0.25, 0.5]) {
      await reader.waitFor(
        () => ids().size >= expected.length * share,
        90_000,
        () => job.output(),
      );
      await job.kill();
      // the kill landed mid-run: part of the hot items were written, not all
      const atKill = ids().size;
      expect(atKill).toBeGreaterThan(0);
      expect(atKill).toBeLessThan(expected.length);
      atKills.push(atKill);
      job = start();
    }
    await feeding;
    await reader.waitFor(
      () => ids().size >= expected.length,
      90_000,
      () => `${ids().size}/${expected.length}\n${job.output()}`,
    );
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
    expect(inOrder([...byId.values()].map((v) => JSON.parse(v) as HotItem))).toEqual(expected);
    expect(reader.records.filter((r) => r.topic !== topic('hot-items'))).toEqual([]);
    expect(await job.stop()).toBe('SIGTERM');
    // what the restarts dropped of attempts that never committed (it varies with the moment of the kill)
    const dropped = jobs.flatMap((j) => j.output().match(/dropped \d+ element\(s\)[^\n]*/g) ?? []);
    process.stderr.write(
      `hot-items kill -9: killed with ${atKills.join(' and ')} of ${expected.length} hot items out; ` +
        `${again} written again; ${dropped.length} drop(s) of uncommitted attempts\n` +
        `${dropped.slice(0, 3).join('\n')}\n`,
    );
  });
});

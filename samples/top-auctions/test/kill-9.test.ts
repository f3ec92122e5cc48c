/**
 * TopAuctions, two keyed stages across a repartition, killed with SIGKILL while bids
 * keep arriving on Kafka, state in Redis, then started again: every top auction equals
 * the direct computation over the bids (so stage one's counts, and stage two's state
 * built from them, were applied exactly once across the kill), and an output written
 * twice is the same record under the same id.
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
import { generateBids, inOrder, referenceTop, type TopAuction } from '../src';

jest.setTimeout(150_000);
const services = testServices();
const MAIN = path.join(__dirname, '..', 'dist', 'generated', 'top-auctions.main.generated.js');
const PARTITIONS = 4;

describe('TopAuctions killed with SIGKILL mid-run on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const jobs: JobProcess[] = [];
  let reader: TopicReader | undefined;

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    await reader?.close();
  });

  it('outputs the direct computation after a restart; duplicates carry the same id and content', async () => {
    const ns = `ta-kill-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of [
      'bids',
      'top',
      'late',
      'dead-letters',
      'TopAuctions.top-auction.repartition',
    ])
      await services.kafka.createTopic(topic(name), PARTITIONS);
    // 200 s of event time: 20 windows of 6 categories
    const bids = generateBids({ bids: 20_000, seed: 21, perSecond: 100 });
    const expected = referenceTop(bids);
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
    reader = await TopicReader.start(kafka, [topic('top'), topic('late'), topic('dead-letters')]);
    const tops = () => reader?.records.filter((r) => r.topic === topic('top')) ?? [];
    const first = start();
    // the bids keep coming while the job runs: a tenth every 300 ms
    const feeding = (async () => {
      for (let i = 0; i < 10; i++) {
        const chunk = bids.slice(i * 2000, (i + 1) * 2000);
        await produce(
          kafka,
          topic('bids'),
          chunk.map((b) => ({ key: b.auction, value: b })),
        );
        await new Promise((r) => setTimeout(r, 300));
      }
      await produce(kafka, topic('bids'), closingBids(bids, PARTITIONS));
    })();
    // killed twice: once a quarter, then half of the top auctions are out
    let job = first;
    for (const share of [0.25, 0.5]) {
      await reader.waitFor(
        () => tops().length >= expected.length * share,
        90_000,
        () => job.output(),
      );
      await job.kill();
      // the kill landed mid-run: part of the top auctions were written, not all
      const atKill = new Set(tops().map((r) => r.headers[HEADER_ID])).size;
      expect(atKill).toBeGreaterThan(0);
      expect(atKill).toBeLessThan(expected.length);
      job = start();
    }
    await feeding;
    const ids = () => new Set(tops().map((r) => r.headers[HEADER_ID]));
    await reader.waitFor(
      () => ids().size >= expected.length,
      90_000,
      () => `${ids().size}/${expected.length}\n${job.output()}`,
    );
    const byId = new Map<string, string>();
    for (const r of tops()) {
      const content = JSON.stringify(r.value);
      const seen = byId.get(r.headers[HEADER_ID]);
      if (seen !== undefined) expect(content).toBe(seen);
      byId.set(r.headers[HEADER_ID], content);
    }
    expect(inOrder([...byId.values()].map((v) => JSON.parse(v) as TopAuction))).toEqual(expected);
    expect(reader.records.filter((r) => r.topic !== topic('top'))).toEqual([]);
    expect(await job.stop()).toBe('SIGTERM');
    // what the restarts dropped of attempts that never committed (it varies with the moment of the kill)
    const dropped = jobs.flatMap((j) => j.output().match(/dropped \d+ element\(s\)[^\n]*/g) ?? []);
    process.stderr.write(
      `top-auctions kill -9: ${dropped.length} drop(s) of uncommitted attempts\n${dropped.slice(0, 3).join('\n')}\n`,
    );
  });
});

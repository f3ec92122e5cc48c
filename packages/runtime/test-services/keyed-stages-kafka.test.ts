/**
 * Two keyed stages across a repartition on Kafka and Redis, as `launchJob` runs them
 * from the environment: counts per auction, then the top auction per category, through
 * `<job>.top-auction.repartition`. Stopped and started again midway, the result equals
 * what the bids give when computed directly, each output once per id.
 */
import { HEADER_ID, launchJob, silentLogger, type RunningJob } from '../src';
import { stableHash } from '../src/util/stable-hash';
import {
  expectedTop,
  generateBids,
  sortTop,
  topAuctionJob,
  WINDOW_MS,
  type Bid,
  type TopAuction,
} from '../test/top-auction-job';
import { kafkaSecurityEnv } from './job-env';
import { kafkaClient, produce, TopicReader } from './kafka-io';
import { testServices } from './services';

jest.setTimeout(120_000);
const services = testServices();
const PARTITIONS = 4;

/** A bid per partition far after the others: it closes every window of the bids before it. */
function closingBids(after: number): Bid[] {
  return Array.from({ length: PARTITIONS }, (_, p) => ({
    auction: `closing-${p}`,
    category: 'closing',
    price: 0,
    ts: after + 6 * WINDOW_MS,
  }));
}

describe('keyed stage behind a repartition on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  let reader: TopicReader | undefined;
  let running: RunningJob | undefined;

  afterAll(async () => {
    await running?.stop();
    await reader?.close();
  });

  it('equals a direct computation across a restart, each output id once with one content', async () => {
    const ns = `ks-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of [
      'bids',
      'top',
      'late',
      'dead-letters',
      'TopAuctions.top-auction.repartition',
    ])
      await services.kafka.createTopic(topic(name), PARTITIONS);
    const bids = generateBids({ count: 1_500, seed: 5 });
    const last = Math.max(...bids.map((b) => b.ts));
    const records = [...bids, ...closingBids(last)].map((b, i) => ({
      value: b,
      key: b.auction,
      partition: b.category === 'closing' ? i % PARTITIONS : stableHash(b.auction) % PARTITIONS,
    }));
    const expected = expectedTop(bids);
    reader = await TopicReader.start(kafka, [topic('top'), topic('late')]);
    const env = {
      KAFKA_BROKERS: services.kafkaBrokers.join(','),
      ...kafkaSecurityEnv(services.kafkaSecurity),
      REDIS_URL: services.redisUrl,
      STREAM_GEN_NAMESPACE: ns,
      STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const start = () =>
      launchJob({
        job: topAuctionJob(),
        sinks: ['top', 'late', 'dead-letters'],
        env,
        logger: silentLogger,
        checkpointIntervalMs: 100,
      });
    // first half, a graceful stop midway through the windows, then the rest
    await produce(kafka, topic('bids'), records.slice(0, 700));
    running = start();
    const first = running.run();
    await reader.waitFor((r) => r.some((x) => x.topic === topic('top')), 60_000);
    await running.stop();
    await first;
    const before = reader.values<TopAuction>(topic('top')).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(expected.length);
    await produce(kafka, topic('bids'), records.slice(700));
    running = start();
    const second = running.run();
    await reader.waitFor(
      (r) =>
        new Set(r.filter((x) => x.topic === topic('top')).map((x) => x.headers[HEADER_ID])).size >=
        expected.length,
      90_000,
      () => `${reader?.values(topic('top')).length} of ${expected.length} top records`,
    );
    await running.stop();
    await second;
    running = undefined;
    const out = reader.records.filter((r) => r.topic === topic('top'));
    const byId = new Map<string, string>();
    for (const r of out) {
      const text = JSON.stringify(r.value);
      expect(byId.get(r.headers[HEADER_ID]) ?? text).toBe(text);
      byId.set(r.headers[HEADER_ID], text);
    }
    const unique = [...byId.values()].map((t) => JSON.parse(t) as TopAuction);
    expect(sortTop(unique)).toEqual(expected);
    expect(reader.values(topic('late'))).toEqual([]);
  });
});

/**
 * A router whose kafka routes write to two clusters: one route to a topic of the
 * source's cluster, one (`brokers`) to a topic of a second mock cluster, through a
 * producer of its own. Each topic gets exactly its route's records, and neither
 * cluster gets the other's.
 */
import { HEADER_ID, launchRouter, silentLogger, type RouterSpec } from '../src';
import { kafkaJobEnv } from './job-env';
import { kafkaClient, produce, TopicReader } from './kafka-io';
import { startKafkaMock, testServices, type KafkaService } from './services';

jest.setTimeout(90_000);
const services = testServices();

describe('kafka routes to two clusters', () => {
  let second: KafkaService;
  const readers: TopicReader[] = [];
  // plaintext even in a secured run: a route to another cluster connects without the
  // source cluster's KAFKA_SSL* / KAFKA_SASL_* (src/router/route-connectors.ts)
  beforeAll(async () => (second = await startKafkaMock({ brokers: 1, security: 'none' })));
  afterAll(async () => {
    for (const reader of readers) await reader.close();
    await second?.stop();
  });

  it('writes each route to its own cluster, every record once', async () => {
    const ns = `clusters-${Date.now()}`;
    const topic = (t: string) => `${ns}.${t}`;
    for (const [cluster, name, partitions] of [
      [services.kafka, 'plays', 2],
      [services.kafka, 'evens', 1],
      [services.kafka, 'Split.dead-letters', 1],
      [second, 'odds', 1],
      // the same name on the source's cluster: a route to the second must not write it
      [services.kafka, 'odds', 1],
    ] as const) {
      await cluster.createTopic(topic(name), partitions);
    }
    const router: RouterSpec = {
      name: 'Split',
      source: { topic: 'plays' },
      routes: [
        {
          name: 'evens',
          filter: (p: { id: number }) => p.id % 2 === 0,
          sink: { kind: 'kafka', topic: 'evens' },
        },
        {
          name: 'odds',
          filter: (p: { id: number }) => p.id % 2 === 1,
          sink: { kind: 'kafka', topic: 'odds', brokers: second.brokers.join(',') },
        },
      ],
    };
    const first = kafkaClient(services.kafkaBrokers);
    const main = await TopicReader.start(first, [
      topic('evens'),
      topic('odds'),
      topic('Split.dead-letters'),
    ]);
    const other = await TopicReader.start(kafkaClient(second.brokers), [topic('odds')]);
    readers.push(main, other);
    const running = launchRouter(router, { env: kafkaJobEnv(services, ns), logger: silentLogger });
    const run = running.runAll();
    const plays = Array.from({ length: 300 }, (_, id) => ({ id }));
    await produce(
      first,
      topic('plays'),
      plays.map((p) => ({ key: String(p.id), value: p })),
    );
    const ids = (reader: TopicReader, t: string) => [
      ...new Set(
        reader.records
          .filter((r) => r.topic === topic(t))
          .map((r) => (r.value as { id: number }).id)
          .sort((a, b) => a - b),
      ),
    ];
    await main.waitFor(() => ids(main, 'evens').length >= 150, 60_000);
    await other.waitFor(() => ids(other, 'odds').length >= 150, 60_000);
    await running.stop();
    await run;

    expect(ids(main, 'evens')).toEqual(plays.filter((p) => p.id % 2 === 0).map((p) => p.id));
    expect(ids(other, 'odds')).toEqual(plays.filter((p) => p.id % 2 === 1).map((p) => p.id));
    // at least once: a record written twice is the same record, its id kept
    const odds = other.records.filter((r) => r.topic === topic('odds'));
    expect(new Set(odds.map((r) => r.headers[HEADER_ID])).size).toBe(150);
    expect(main.records.filter((r) => r.topic !== topic('evens'))).toEqual([]);
  });
});

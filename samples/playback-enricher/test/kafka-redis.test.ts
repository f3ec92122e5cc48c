/**
 * PlaybackEnricher as it runs in production: the generated main file as its own
 * process, reading and writing Kafka (librdkafka's mock cluster) with Redis for
 * checkpoints, against the fake services.
 */
import * as path from 'node:path';
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
import { FakeServices, generatePlays, type Play } from '../src';
import { MOST_CALLS_IN_A_SECOND } from './limits';

jest.setTimeout(120_000);
const services = testServices();
const MAIN = path.join(__dirname, '..', 'dist', 'generated', 'playback-enricher.main.generated.js');

describe('PlaybackEnricher on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const fake = new FakeServices({ latencyMs: 4, errorRate: 0.05, brokenProfiles: ['p13'] });
  let job: JobProcess | undefined;
  let reader: TopicReader | undefined;

  afterAll(async () => {
    await job?.kill();
    await reader?.close();
    await fake.stop();
  });

  it('puts every play in enriched or dead-letters exactly once, within the concurrency and rate limits', async () => {
    const url = await fake.start();
    const ns = `pe-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of ['plays', 'enriched', 'dead-letters'])
      await services.kafka.createTopic(topic(name), 4);
    const plays = generatePlays({ plays: 800, seed: 8, invalidRate: 0.03 });
    await produce(kafka, topic('plays'), [
      ...plays.map((value) => ({ key: String((value as Play).profileId), value })),
      { key: 'garbage', raw: 'not json', value: null },
    ]);

    job = startJobProcess(MAIN, {
      env: {
        KAFKA_BROKERS: services.kafkaBrokers.join(','),
        REDIS_URL: services.redisUrl,
        STREAM_GEN_NAMESPACE: ns,
        STREAM_GEN_CHECKPOINT_INTERVAL_MS: '300',
        PLAYBACK_HISTORY_URL: url,
        VIDEO_METADATA_URL: url,
      },
    });
    reader = await TopicReader.start(kafka, [topic('enriched'), topic('dead-letters')]);
    await reader.waitFor(
      (records) => records.length >= plays.length + 1,
      60_000,
      () => `${reader!.records.length}/${plays.length + 1}\n${job!.output()}`,
    );
    // a little longer: anything written twice would show now
    await new Promise((r) => setTimeout(r, 1000));

    const ids = reader.records.map((r) =>
      r.topic === topic('dead-letters')
        ? ((r.value as { value: unknown }).value as Play).playId
        : (r.value as Play).playId,
    );
    expect(ids.sort()).toEqual([...plays.map((p) => (p as Play).playId), undefined].sort());
    const dead = reader.records.filter((r) => r.topic === topic('dead-letters'));
    expect(dead.map((d) => d.headers['stream-gen-dead-letter-reason'])).toContainEqual(
      expect.stringMatching(/failed after 4 attempts: .*\/history\/p13 answered 503$/),
    );
    expect(
      dead.find((d) => (d.value as { value: unknown }).value === 'not json')?.headers,
    ).toMatchObject({
      'stream-gen-source': 'plays',
      'stream-gen-dead-letter-reason': expect.stringMatching(/JSON/),
    });
    expect(fake.maxInFlight).toBeLessThanOrEqual(8);
    expect(fake.maxCallsPerSecond()).toBeLessThanOrEqual(MOST_CALLS_IN_A_SECOND);
    expect(await job.stop()).toBe('SIGTERM');
    expect(job.output()).toMatch(/final checkpoint taken/);
  });
});

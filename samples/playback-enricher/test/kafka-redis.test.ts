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
  type ConsumedRecord,
} from '../../../packages/runtime/test-services/kafka-io';
import { testServices } from '../../../packages/runtime/test-services/services';
import { defaultTitles, FakeServices, generatePlayLog, type EnrichedPlay, type Play } from '../src';
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

  it('puts every play in enriched or dead-letters exactly once, and every malformed line in dead-letters, within the concurrency and rate limits', async () => {
    const url = await fake.start();
    const ns = `pe-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of ['plays', 'enriched', 'dead-letters'])
      await services.kafka.createTopic(topic(name), 4);
    const lines = generatePlayLog({ lines: 450, seed: 8, invalidRate: 0.03 });
    const malformed = lines.filter((l) => l.malformed);
    const playIds = lines.flatMap((l) => l.playIds);
    await produce(kafka, topic('plays'), [
      ...lines.map((l) => ({ key: l.profileId, value: l.line })),
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
    const expected = playIds.length + malformed.length + 1;
    reader = await TopicReader.start(kafka, [topic('enriched'), topic('dead-letters')]);
    await reader.waitFor(
      (records) => records.length >= expected,
      60_000,
      () => `${reader!.records.length}/${expected}\n${job!.output()}`,
    );
    // a little longer: anything written twice would show now
    await new Promise((r) => setTimeout(r, 1000));

    // a dead letter holds the line when the parser refused it, else the parsed play
    const valueOf = (r: ConsumedRecord) =>
      r.topic === topic('dead-letters') ? (r.value as { value: unknown }).value : r.value;
    const ids = reader.records.map((r) => {
      const value = valueOf(r);
      return typeof value === 'string' ? value : (value as Play | null)?.playId;
    });
    expect(ids.sort()).toEqual([...playIds, ...malformed.map((l) => l.line), 'not json'].sort());
    const dead = reader.records.filter((r) => r.topic === topic('dead-letters'));
    const reasons = dead.map((d) => d.headers['stream-gen-dead-letter-reason']);
    expect(reasons).toContainEqual(
      expect.stringMatching(/failed after 4 attempts: .*\/history\/p13 answered 503$/),
    );
    expect(
      dead.find((d) => valueOf(d) === malformed[0].line)?.headers['stream-gen-dead-letter-reason'],
    ).toMatch(/^flatMap step "parse-plays\.parse" threw: entry \d+ "play v\d+ /);
    expect(dead.find((d) => valueOf(d) === 'not json')?.headers).toMatchObject({
      'stream-gen-source': 'plays',
      'stream-gen-dead-letter-reason': expect.stringMatching(/JSON/),
    });

    // the title-lookup stage after the enrichment had its table before the first play:
    // every play of a title the table holds is named, the others have no metadata
    const known = new Set(defaultTitles().map((t) => t.titleId));
    const enriched = reader.values<EnrichedPlay>(topic('enriched'));
    expect(enriched.filter((p) => (p.title !== null) !== known.has(p.titleId))).toEqual([]);
    expect(enriched.filter((p) => p.title !== null).length).toBeGreaterThan(enriched.length / 2);

    // the plays of a line share its origin and are numbered in it: <origin>.0, .1, ...
    const idOf = new Map(
      reader.records.map((r) => [
        (valueOf(r) as Play | null)?.playId,
        r.headers['stream-gen-id'].replace('/dead-letter', ''),
      ]),
    );
    const several = lines.filter((l) => l.playIds.length > 1);
    expect(several.length).toBeGreaterThan(50);
    for (const l of several) {
      const lineIds = l.playIds.map((id) => idOf.get(id));
      const origin = /^(PlaybackEnricher\/\d+\/plays@\d+)\.0#0$/.exec(lineIds[0] ?? '')?.[1];
      expect(lineIds).toEqual(l.playIds.map((_, i) => `${origin}.${i}#0`));
    }
    expect(new Set(reader.records.map((r) => r.headers['stream-gen-id'])).size).toBe(expected);

    expect(fake.maxInFlight).toBeLessThanOrEqual(8);
    expect(fake.maxCallsPerSecond()).toBeLessThanOrEqual(MOST_CALLS_IN_A_SECOND);
    expect(await job.stop()).toBe('SIGTERM');
    expect(job.output()).toMatch(/final checkpoint taken/);
  });
});

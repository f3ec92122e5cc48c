/**
 * The chained enricher (parse stage, filter, enrichment) killed with SIGKILL while it
 * works through its input on Kafka and Redis, then started again: every play and every
 * malformed line ends up written, and what was written twice is the same record with
 * the same id (outputs are at-least-once, named after their input line and value).
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
import { FakeServices, generatePlayLog } from '../src';

jest.setTimeout(120_000);
const services = testServices();
const MAIN = path.join(__dirname, '..', 'dist', 'generated', 'playback-enricher.main.generated.js');

describe('PlaybackEnricher killed with SIGKILL mid-run', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const fake = new FakeServices({ latencyMs: 4 });
  const jobs: JobProcess[] = [];
  let reader: TopicReader | undefined;

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    await reader?.close();
    await fake.stop();
  });

  it('writes every output after a restart; duplicates carry the same id and content', async () => {
    const url = await fake.start();
    const ns = `pe-kill-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of ['plays', 'enriched', 'dead-letters'])
      await services.kafka.createTopic(topic(name), 4);
    // about 2,600 plays: some 5 s at the job's rate limit of 500 calls/s
    const lines = generatePlayLog({ lines: 1500, seed: 11, invalidRate: 0.02 });
    await produce(
      kafka,
      topic('plays'),
      lines.map((l) => ({ key: l.profileId, value: l.line })),
    );
    const expected = lines.reduce((n, l) => n + (l.malformed ? 1 : l.playIds.length), 0);
    const start = () => {
      const job = startJobProcess(MAIN, {
        env: {
          KAFKA_BROKERS: services.kafkaBrokers.join(','),
          REDIS_URL: services.redisUrl,
          STREAM_GEN_NAMESPACE: ns,
          STREAM_GEN_CHECKPOINT_INTERVAL_MS: '300',
          STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
          PLAYBACK_HISTORY_URL: url,
          VIDEO_METADATA_URL: url,
        },
      });
      jobs.push(job);
      return job;
    };
    reader = await TopicReader.start(kafka, [topic('enriched'), topic('dead-letters')]);
    const first = start();
    await reader.waitFor(
      (records) => records.length >= expected / 4,
      60_000,
      () => first.output(),
    );
    await first.kill();
    // the kill landed mid-run: part of the outputs were written, not all
    const atKill = reader.records.length;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(expected);

    const second = start();
    const ids = () => new Set(reader!.records.map((r) => r.headers['stream-gen-id']));
    await reader.waitFor(
      () => ids().size >= expected,
      90_000,
      () => `${ids().size}/${expected}\n${second.output()}`,
    );
    expect(ids().size).toBe(expected);
    const byId = new Map<string, string>();
    for (const r of reader.records) {
      const content = JSON.stringify(r.value);
      const seen = byId.get(r.headers['stream-gen-id']);
      if (seen !== undefined) expect(content).toBe(seen);
      byId.set(r.headers['stream-gen-id'], content);
    }
    expect(await second.stop()).toBe('SIGTERM');
  });
});

/**
 * ImpressionJoin as it runs in production: the generated main file as its own
 * process, on Kafka (librdkafka's mock cluster) with Redis state, stopped with
 * SIGTERM half way and started again.
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
  type ProducedRecord,
} from '../../../packages/runtime/test-services/kafka-io';
import { testServices } from '../../../packages/runtime/test-services/services';
import {
  compare,
  generateEvents,
  joinKey,
  referenceJoin,
  type Conversion,
  type GeneratedEvent,
  type Impression,
  type Play,
} from '../src';

jest.setTimeout(120_000);
const services = testServices();
const MAIN = path.join(__dirname, '..', 'dist', 'generated', 'impression-join.main.generated.js');
const PARTITIONS = 4;
const H = 3_600_000;

describe('ImpressionJoin on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const jobs: JobProcess[] = [];
  let reader: TopicReader | undefined;

  afterEach(async () => {
    await Promise.all(jobs.splice(0).map((j) => j.kill()));
    await reader?.close();
  });

  it('equals the reference join over shuffled input, routes late data to late, and survives a restart', async () => {
    const ns = `ij-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of ['impressions', 'plays', 'conversions', 'late', 'dead-letters']) {
      await services.kafka.createTopic(topic(name), PARTITIONS);
    }
    const events = generateEvents({ impressions: 3000, seed: 21 });
    const start = Math.min(...events.map((e) => e.value.ts));
    const end = Math.max(...events.map((e) => e.value.ts));
    const send = async (batch: readonly GeneratedEvent[], extra: ProducedRecord[] = []) => {
      for (const name of ['impressions', 'plays'] as const) {
        const records = batch
          .filter((e) => e.topic === name)
          .map((e) => ({ key: joinKey(e.value), value: e.value }));
        await produce(kafka, topic(name), [...records, ...extra.filter((r) => r.key === name)]);
      }
    };
    /** One impression and one play on every partition of both topics, at `ts`. */
    const everyPartition = (tag: string, ts: number): ProducedRecord[] =>
      Array.from({ length: PARTITIONS }, (_, p) => {
        const profileId = `${tag}${p}`;
        const imp: Impression = {
          impressionId: `${tag}-i${p}`,
          profileId,
          titleId: 't',
          ts,
          row: 0,
          rank: 0,
        };
        const play: Play = { playId: `${tag}-v${p}`, profileId, titleId: 't', ts };
        // `key` says the topic here; the partition is explicit
        return [
          { key: 'impressions', partition: p, value: imp },
          { key: 'plays', partition: p, value: play },
        ];
      }).flat();
    const env = {
      KAFKA_BROKERS: services.kafkaBrokers.join(','),
      REDIS_URL: services.redisUrl,
      STREAM_GEN_NAMESPACE: ns,
      STREAM_GEN_CHECKPOINT_INTERVAL_MS: '300',
      STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const half = Math.floor(events.length / 2);
    await send(events.slice(0, half));

    const first = startJobProcess(MAIN, { env });
    jobs.push(first);
    // every task's watermark past the late events' time: they are late from then on
    await until(
      async () => {
        const tasks = (await first.health().catch(() => undefined))?.tasks ?? [];
        return tasks.length === PARTITIONS && tasks.every((t) => t.watermark > start - H);
      },
      60_000,
      () => first.output(),
    );
    // Nest re-raises the signal once its shutdown hooks (the final checkpoint) ran
    expect(await first.stop()).toBe('SIGTERM');
    expect(first.output()).toMatch(/final checkpoint taken for tasks 0, 1, 2, 3/);

    const second = startJobProcess(MAIN, { env });
    jobs.push(second);
    await send(events.slice(half), [
      ...everyPartition('late', start - H),
      ...everyPartition('flush', end + 3 * H),
    ]);
    await produce(kafka, topic('impressions'), [
      { key: 'bad', raw: '{"impressionId": ', value: null },
    ]);

    const onTime = (name: string) => events.filter((e) => e.topic === name).map((e) => e.value);
    const expected = referenceJoin(
      onTime('impressions') as Impression[],
      onTime('plays') as Play[],
    );
    reader = await TopicReader.start(kafka, [
      topic('conversions'),
      topic('late'),
      topic('dead-letters'),
    ]);
    const conversions = () =>
      reader!
        .values<Conversion>(topic('conversions'))
        .filter((c) => !c.profileId.startsWith('flush'));
    await reader.waitFor(
      () =>
        conversions().length >= expected.length &&
        reader!.values(topic('late')).length >= 2 * PARTITIONS &&
        reader!.values(topic('dead-letters')).length >= 1,
      60_000,
      () =>
        `${conversions().length}/${expected.length} conversions, ${reader!.values(topic('late')).length} late\n${second.output()}`,
    );
    expect(expected.length).toBeGreaterThan(500);
    expect(compare(expected, conversions())).toEqual([]);
    const late = reader.values<Impression | Play>(topic('late'));
    expect(late.map((e) => ('playId' in e ? e.playId : e.impressionId)).sort()).toEqual(
      everyPartition('late', 0)
        .map((r) => {
          const v = r.value as { playId?: string; impressionId?: string };
          return v.playId ?? v.impressionId;
        })
        .sort(),
    );
    const dead = reader.records.filter((r) => r.topic === topic('dead-letters'));
    expect(dead).toHaveLength(1);
    expect(dead[0].headers).toMatchObject({ 'stream-gen-source': 'impressions' });
    expect(await second.stop()).toBe('SIGTERM');
  });
});

async function until(check: () => Promise<boolean>, timeoutMs: number, describe: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms:\n${describe()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

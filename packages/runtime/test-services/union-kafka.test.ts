/**
 * A union of three topics on Kafka and Redis, as `launchJob` runs it from the
 * environment: the topics are not partitioned by the union's key, so they go through
 * the re-keying stage and `<job>.<operator>.repartition`; each user's clicks are counted
 * by one task, once.
 */
import { launchJob, silentLogger } from '../src';
import {
  countMismatches,
  DEVICES,
  generateClicks,
  unionJob,
  UNION_REPARTITION,
  UNION_SINK,
  type UserCount,
} from '../test/union-job';
import { kafkaSecurityEnv } from './job-env';
import { kafkaClient, produce, TopicReader } from './kafka-io';
import { testServices } from './services';

jest.setTimeout(120_000);
const services = testServices();
const PARTITIONS = 3;

it('counts each user once across three re-keyed topics', async () => {
  const ns = `union-${Date.now()}`;
  const topic = (name: string) => `${ns}.${name}`;
  for (const name of [...DEVICES, UNION_SINK, UNION_REPARTITION])
    await services.kafka.createTopic(topic(name), PARTITIONS);
  const kafka = kafkaClient(services.kafkaBrokers);
  const clicks = generateClicks({ perDevice: 150, users: 11 });
  for (const device of DEVICES) {
    // round robin over the partitions, whatever the user
    await produce(
      kafka,
      topic(device),
      clicks[device].map((c, i) => ({ value: c, partition: i % PARTITIONS })),
    );
  }
  const reader = await TopicReader.start(kafka, [topic(UNION_SINK)]);
  const running = launchJob({
    job: unionJob(),
    sinks: [UNION_SINK],
    env: {
      KAFKA_BROKERS: services.kafkaBrokers.join(','),
      ...kafkaSecurityEnv(services.kafkaSecurity),
      REDIS_URL: services.redisUrl,
      STREAM_GEN_NAMESPACE: ns,
      STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
    },
    logger: silentLogger,
    checkpointIntervalMs: 200,
  });
  const run = running.run();
  try {
    await reader.waitFor(
      (r) => r.length >= 450,
      60_000,
      () => `${reader.records.length} of 450 counts`,
    );
    expect(countMismatches(clicks, reader.values<UserCount>(topic(UNION_SINK)))).toEqual([]);
  } finally {
    await running.stop();
    await run;
    await reader.close();
  }
});

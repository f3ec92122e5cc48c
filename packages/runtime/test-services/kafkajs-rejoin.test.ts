/**
 * kafkajs stops a consumer for good after a crash it does not know to be retriable
 * (seen on a rebalance answered oddly). The KafkajsClient's consumer rejoins the group.
 */
import { KafkaJSNonRetriableError } from 'kafkajs';
import { KafkajsClient, type BrokerConsumer, type Logger } from '../src';
import { kafkaClient, produce } from './kafka-io';
import { clientSecurity } from './kafka-client-security';
import { fastConsumerConfig, testServices } from './services';

const services = testServices();
let consumer: BrokerConsumer | undefined;

afterEach(async () => {
  await consumer?.stop();
});

test('a consumer rejoins the group after a crash kafkajs would not restart from', async () => {
  const topic = `rejoin-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  await services.kafka.createTopic(topic, 1);
  await produce(
    kafkaClient(services.kafkaBrokers),
    topic,
    [1, 2, 3].map((n) => ({ value: n })),
  );
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message) => warnings.push(message),
    error: (message) => warnings.push(message),
  };
  const client = new KafkajsClient({
    brokers: services.kafkaBrokers,
    security: clientSecurity(services.kafkaBrokers),
    logger,
    sessionTimeoutMs: fastConsumerConfig.sessionTimeout,
  });
  consumer = await client.consumer(`${topic}-group`);
  const offsets: number[] = [];
  let crashed = false;
  const received = new Promise<void>((resolve) => {
    void consumer!.run([topic], {
      onAssignment: async () => {},
      onError: (error) => warnings.push(`onError: ${String(error)}`),
      onBatch: async (_topic, _partition, records) => {
        if (!crashed) {
          crashed = true;
          throw new KafkaJSNonRetriableError('crash on the first batch');
        }
        offsets.push(...records.map((r) => r.offset));
        if (offsets.length >= 3) resolve();
      },
    });
  });
  await received;
  expect(offsets).toEqual([0, 1, 2]);
  expect(warnings.join('\n')).toMatch(
    /Kafka consumer stopped \(crash on the first batch\); rejoining the group in 1000 ms/,
  );
}, 60_000);

/**
 * jest globalSetup: one redis-server and one mock Kafka cluster for the whole
 * run, handed to the test workers through environment variables (workers are
 * started after this and inherit process.env):
 *
 *   STREAM_GEN_TEST_REDIS_URL      redis://127.0.0.1:<port>
 *   STREAM_GEN_TEST_KAFKA_BROKERS  127.0.0.1:<port>,... (bootstrap servers)
 *   STREAM_GEN_TEST_KAFKA_CONTROL  http://127.0.0.1:<port>/ : POST a mock command
 *                                  line, e.g. `create-topic t 4` (unset when
 *                                  KAFKA_BROKERS points at an external cluster)
 *
 * Tests read them with `testServices()` from ./services.
 * STREAM_GEN_TEST_KAFKA_MOCK_BROKERS sets the mock's broker count (default 3).
 */
import {
  ENV,
  KafkaService,
  RedisService,
  serveKafkaControl,
  startKafkaMock,
  startRedis,
} from './services';

export interface StartedServices {
  redis?: RedisService;
  kafka?: KafkaService;
  control?: { url: string; close(): Promise<void> };
}

const KEY = '__streamGenTestServices';

export function started(): StartedServices | undefined {
  return (globalThis as Record<string, unknown>)[KEY] as StartedServices | undefined;
}

export async function stopAll(s: StartedServices | undefined): Promise<void> {
  if (!s) return;
  await Promise.allSettled([s.control?.close(), s.kafka?.stop(), s.redis?.stop()]);
}

export default async function globalSetup(): Promise<void> {
  const s: StartedServices = {};
  (globalThis as Record<string, unknown>)[KEY] = s;
  const t0 = Date.now();
  try {
    const brokers = Number(process.env.STREAM_GEN_TEST_KAFKA_MOCK_BROKERS ?? 3);
    // keep each one as soon as it is up, so that a failure of the other stops it
    const results = await Promise.allSettled([
      startRedis().then((r) => (s.redis = r)),
      startKafkaMock({ brokers }).then((k) => (s.kafka = k)),
    ]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    if (!s.redis || !s.kafka) throw new Error('unreachable');
    process.env[ENV.redisUrl] = s.redis.url;
    process.env[ENV.kafkaBrokers] = s.kafka.brokers.join(',');
    if (!s.kafka.external) {
      s.control = await serveKafkaControl(s.kafka);
      process.env[ENV.kafkaControl] = s.control.url;
    } else {
      delete process.env[ENV.kafkaControl];
    }
  } catch (e) {
    // one of them may be up: stop whatever did start
    await stopAll(s);
    throw e;
  }
  process.stderr.write(
    `\n[stream-gen test-services] redis ${s.redis.url}${s.redis.external ? ' (REDIS_URL)' : ''}, ` +
      `kafka ${s.kafka.brokers.join(',')}${s.kafka.external ? ' (KAFKA_BROKERS)' : ' (mock)'}, ` +
      `ready in ${Date.now() - t0} ms\n`,
  );
}

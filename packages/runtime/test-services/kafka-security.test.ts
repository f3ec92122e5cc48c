/**
 * A job on a secured Kafka: the secure proxy in front of a mock cluster of its own
 * (TLS with a CA made for the run, SASL PLAIN and SCRAM-SHA-512), the job configured
 * only through KAFKA_SSL* and KAFKA_SASL_* as a user would. Its consumer (kafkajs) and
 * its producer (the runtime's own) both pass TLS and SASL: records in equal records
 * out. A wrong password fails naming KAFKA_SASL_PASSWORD, an untrusted CA naming
 * KAFKA_SSL_CA_FILE; neither the log, the errors nor /health ever hold the password.
 */
import {
  KafkajsClient,
  launchJob,
  type JobSpec,
  type ElementContext,
  type RunningJob,
} from '../src';
import { kafkaSecurityFromEnv } from '../src/connectors/kafka/kafka-security';
import { silentLogger } from '../src/util/logger';
import type { Logger } from '../src/util/logger';
import { recordingLogger as keptLines } from '../test/recording-logger';
import { kafkaClient, produce, TopicReader } from './kafka-io';
import { startSecureKafkaProxy, type SecureKafkaProxy } from './kafka-secure-proxy';
import { freePort, startKafkaMock, type KafkaService } from './services';
import { generateTestCertificates, type TestCertificates } from './test-certificates';

jest.setTimeout(90_000);

const USER = 'jobs';
const PASSWORD = 'kafka-Pa55-for-jobs';
const WRONG_PASSWORD = 'not-the-jobs-password';
const PARTITIONS = 3;
const RECORDS = 300;

interface Order {
  id: number;
  amount: number;
}

/** Doubles each order's amount: stateless, so records in equal records out. */
const doubling = (): JobSpec => ({
  name: 'SecureOrders',
  sources: [
    {
      name: 'orders',
      key: (o: Order) => String(o.id),
      partitionedByKey: true,
      eventTime: { timestamp: () => 0, maxOutOfOrdernessMs: 1e12 },
    },
  ],
  operator: {
    kind: 'process',
    name: 'double',
    input: 'orders',
    create: () => ({
      processElement: (o: Order, ctx: ElementContext<Order>) =>
        ctx.emit({ id: o.id, amount: o.amount * 2 }),
    }),
  },
  outputs: { main: 'doubled' },
});

/** Every line, debug too: no level may hold a secret. */
function recordingLogger(): Logger & { readonly lines: string[] } {
  const logger = keptLines();
  return { ...logger, lines: logger.logs, debug: (m) => logger.logs.push(`debug ${m}`) };
}

describe('a job on Kafka with TLS and SASL', () => {
  let mock: KafkaService;
  let proxy: SecureKafkaProxy;
  let otherCa: TestCertificates;
  let running: RunningJob | undefined;
  let reader: TopicReader | undefined;

  beforeAll(async () => {
    mock = await startKafkaMock({ brokers: 2, security: 'none' }); // behind a proxy of its own
    proxy = await startSecureKafkaProxy({
      brokers: mock.brokers,
      tls: true,
      sasl: { mechanisms: ['PLAIN', 'SCRAM-SHA-512'], users: { [USER]: PASSWORD } },
    });
    otherCa = generateTestCertificates('someone else');
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await reader?.close();
    reader = undefined;
  });

  afterAll(async () => {
    await proxy?.close();
    await mock?.stop();
    otherCa?.remove();
  });

  const client = (mechanism: 'PLAIN' | 'SCRAM-SHA-512') =>
    kafkaClient(proxy.brokers, {
      protocol: 'sasl_ssl',
      ssl: { caFile: proxy.caFile as string, caPem: proxy.caPem as string },
      sasl: { mechanism, username: USER, password: PASSWORD },
    });

  async function topics(ns: string) {
    await mock.createTopic(`${ns}.orders`, PARTITIONS);
    await mock.createTopic(`${ns}.doubled`, PARTITIONS);
  }

  const env = (ns: string, overrides: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    KAFKA_BROKERS: proxy.brokers.join(','),
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: proxy.caFile,
    KAFKA_SASL_USERNAME: USER,
    KAFKA_SASL_PASSWORD: PASSWORD,
    STREAM_GEN_NAMESPACE: ns,
    STREAM_GEN_CHECKPOINT_INTERVAL_MS: '300',
    STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...overrides,
  });

  it.each(['SCRAM-SHA-512', 'PLAIN'] as const)(
    'reads and writes through SASL_SSL with %s: records in equal records out',
    async (mechanism) => {
      const ns = `secure-${mechanism.toLowerCase()}-${Date.now()}`;
      await topics(ns);
      const kafka = client(mechanism);
      const orders = Array.from({ length: RECORDS }, (_, id) => ({ id, amount: id % 17 }));
      await produce(
        kafka,
        `${ns}.orders`,
        orders.map((o) => ({ value: o, key: String(o.id) })),
      );
      reader = await TopicReader.start(kafka, [`${ns}.doubled`]);
      const failuresBefore = proxy.authFailures();
      const port = await freePort();
      const logger = recordingLogger();
      running = launchJob({
        job: doubling(),
        sinks: ['doubled'],
        env: env(ns, { KAFKA_SASL_MECHANISM: mechanism, STREAM_GEN_HTTP_PORT: String(port) }),
        logger,
      });
      const run = running.run();
      await reader.waitFor(
        (r) => r.length >= RECORDS,
        60_000,
        () => `${reader?.records.length} of ${RECORDS} records`,
      );
      const health = await (await fetch(`http://127.0.0.1:${port}/health`)).text();
      await running.stop();
      await run;
      running = undefined;

      const out = reader.values<Order>(`${ns}.doubled`).sort((a, b) => a.id - b.id);
      expect(out).toEqual(orders.map((o) => ({ id: o.id, amount: o.amount * 2 })));
      expect(proxy.authFailures()).toBe(failuresBefore);
      const start = logger.lines.find((l) => l.includes('starting on Kafka at'));
      expect(start).toContain(
        `Kafka at ${proxy.brokers.join(',')} (SASL_SSL, ${mechanism} as user '${USER}', CA ${proxy.caFile})`,
      );
      expect(health).toContain('"status":"ok"');
      for (const text of [health, ...logger.lines]) expect(text).not.toContain(PASSWORD);
    },
  );

  /** Runs the job with `overrides` until it fails; its error, the log and what /health said. */
  async function failingRun(ns: string, overrides: NodeJS.ProcessEnv) {
    await topics(ns);
    const port = await freePort();
    const logger = recordingLogger();
    running = launchJob({
      job: doubling(),
      sinks: ['doubled'],
      env: env(ns, { STREAM_GEN_HTTP_PORT: String(port), ...overrides }),
      logger,
    });
    const outcome = running.run().then(
      () => new Error('the job ran'),
      (error: Error) => error,
    );
    await new Promise((r) => setTimeout(r, 500));
    const health = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.text(),
      (e: Error) => e.message,
    );
    const error = await outcome;
    running = undefined;
    return { error, lines: logger.lines, health };
  }

  it('fails a wrong password naming KAFKA_SASL_PASSWORD, never the password', async () => {
    const failuresBefore = proxy.authFailures();
    const { error, lines, health } = await failingRun(`wrong-pass-${Date.now()}`, {
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_PASSWORD: WRONG_PASSWORD,
    });
    expect(error.message).toContain(
      `Kafka SASL authentication failed for user '${USER}' (KAFKA_SASL_PASSWORD)`,
    );
    expect(proxy.authFailures()).toBeGreaterThan(failuresBefore);
    for (const text of [error.message, error.stack ?? '', health, ...lines]) {
      expect(text).not.toContain(WRONG_PASSWORD);
      expect(text).not.toContain(PASSWORD);
    }
  });

  it('does not trust a broker certificate of another CA, naming KAFKA_SSL_CA_FILE', async () => {
    const failuresBefore = proxy.tlsFailures();
    const { error, lines } = await failingRun(`untrusted-${Date.now()}`, {
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SSL_CA_FILE: otherCa.caFile,
    });
    const said = [error.message, ...lines].join('\n');
    expect(said).toContain(
      `the broker's TLS certificate is not signed by the CA in KAFKA_SSL_CA_FILE (${otherCa.caFile})`,
    );
    expect(proxy.tlsFailures()).toBeGreaterThan(failuresBefore);
    expect(said).not.toContain(PASSWORD);
  });

  it("refuses the same way on the consumer's side (kafkajs)", async () => {
    const metadata = (overrides: NodeJS.ProcessEnv) =>
      new KafkajsClient({
        brokers: proxy.brokers,
        logger: silentLogger,
        security: kafkaSecurityFromEnv(env('kafkajs', overrides)),
      })
        .partitionCount('anything')
        .then(
          () => new Error('metadata read'),
          (error: Error) => error,
        );
    const wrong = await metadata({
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_PASSWORD: WRONG_PASSWORD,
    });
    expect(wrong.message).toContain(
      `Kafka SASL authentication failed for user '${USER}' (KAFKA_SASL_PASSWORD)`,
    );
    expect(`${wrong.message} ${wrong.stack}`).not.toContain(WRONG_PASSWORD);
    const untrusted = await metadata({
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SSL_CA_FILE: otherCa.caFile,
    });
    expect(untrusted.message).toContain(
      `the broker's TLS certificate is not signed by the CA in KAFKA_SSL_CA_FILE (${otherCa.caFile})`,
    );
  });
});

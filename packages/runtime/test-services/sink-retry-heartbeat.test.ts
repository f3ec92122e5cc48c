/**
 * A sink that fails for longer than the consumer's session timeout: its writes are
 * retried with backoff while the batch that made the records waits. The member must
 * stay in its group meanwhile (it heartbeats while the batch waits), so there is no
 * rebalance, no task is reopened, and once the sink is back every record is written.
 *
 * kafkajs heartbeats from its fetch loop, one fetcher per broker, each waiting for the
 * batches it fetched. So the topic has a partition led by every broker: while every
 * partition's batch waits, no fetcher is left to heartbeat, only the runtime.
 */
import { Redis } from 'ioredis';
import {
  GroupJobRunner,
  KafkajsClient,
  RedisStateBackend,
  type JobSpec,
  type Logger,
  type OutRecord,
  type SinkConnector,
} from '../src';
import { kafkaClient, produce } from './kafka-io';
import { clientSecurity } from './kafka-client-security';
import { testServices } from './services';

const services = testServices();
jest.setTimeout(120_000);

const SESSION_TIMEOUT_MS = 6_000;
/** The sink is away for twice the session timeout. */
const AWAY_MS = 2 * SESSION_TIMEOUT_MS + 2_000;

/** A sink that refuses every write until `until`, then takes them. */
function awaySink(name: string) {
  const written: OutRecord[] = [];
  let until = 0;
  let refused = 0;
  const sink: SinkConnector = {
    name,
    describe: () => name,
    open: async () => {},
    close: async () => {},
    async write(records) {
      if (Date.now() < until) {
        refused++;
        throw new Error('sink away');
      }
      written.push(...records);
    },
  };
  return {
    sink,
    written,
    refused: () => refused,
    awayFor: (ms: number) => (until = Date.now() + ms),
  };
}

describe('a sink retrying for longer than the session timeout', () => {
  const redis = new Redis(services.redisUrl, { db: 12 });
  afterAll(() => redis.quit());

  it('keeps the member in its group: no rebalance, nothing lost', async () => {
    const name = `heartbeat-${Date.now()}`;
    const brokers = services.kafkaBrokers.length;
    await services.kafka.createTopic(`${name}.in`, brokers);
    for (let p = 0; p < brokers; p++)
      await services.kafka.setPartitionLeader(`${name}.in`, p, p + 1);
    const kafka = kafkaClient(services.kafkaBrokers);
    const admin = kafka.admin();
    await admin.connect();
    const [{ partitions }] = (await admin.fetchTopicMetadata({ topics: [`${name}.in`] })).topics;
    await admin.disconnect();
    expect(new Set(partitions.map((p) => p.leader)).size).toBe(brokers);
    const values = Array.from({ length: 200 }, (_, i) => ({ i }));
    const lines: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (m) => lines.push(`info ${m}`),
      warn: (m) => lines.push(`warn ${m}`),
      error: (m) => lines.push(`error ${m}`),
    };
    const out = awaySink('out');
    const job: JobSpec = {
      name,
      sources: [{ name: 'in' }],
      outputs: { main: 'out' },
      stages: [{ kind: 'chain', id: 'pass', input: 'in', output: 'passed', create: () => [] }],
    };
    const client = new KafkajsClient({
      brokers: services.kafkaBrokers,
      security: clientSecurity(services.kafkaBrokers),
      logger,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      maxWaitTimeMs: 100,
    });
    const runner = new GroupJobRunner({
      job,
      client,
      topics: { sources: { in: `${name}.in` }, sinks: {} },
      sinks: { out: out.sink },
      backend: new RedisStateBackend(redis),
      groupId: name,
      logger,
      checkpointIntervalMs: 200,
      sinkRetryMs: 60_000,
    });
    const running = runner.run();
    await produce(
      kafka,
      `${name}.in`,
      values.slice(0, 100).map((value) => ({ key: String(value.i), value })),
    );
    await waitFor(
      () => out.written.length === 100,
      () => lines.join('\n'),
    );
    const joinsBefore = lines.filter((l) => /owning tasks/.test(l)).length;
    out.awayFor(AWAY_MS);
    const awaySince = Date.now();
    await produce(
      kafka,
      `${name}.in`,
      values.slice(100).map((value) => ({ key: String(value.i), value })),
    );
    await waitFor(
      () => out.written.length === 200,
      () => lines.join('\n'),
      60_000,
    );
    // the fault happened: the sink refused writes for longer than the session timeout
    expect(out.refused()).toBeGreaterThanOrEqual(4);
    expect(Date.now() - awaySince).toBeGreaterThan(2 * SESSION_TIMEOUT_MS);
    // the member stayed: its tasks were not taken away and opened again
    expect(lines.filter((l) => /owning tasks/.test(l))).toHaveLength(joinsBefore);
    expect(lines.filter((l) => /revoked|rejoin|not aware of this member/i.test(l))).toEqual([]);
    expect(new Set(out.written.map((r) => JSON.stringify(r.value))).size).toBe(200);
    await runner.stop();
    await running;
  });
});

describe('the fetch wait', () => {
  it('must be at most half the session timeout, or an idle member would be expelled', async () => {
    const client = new KafkajsClient({
      brokers: services.kafkaBrokers,
      security: clientSecurity(services.kafkaBrokers),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      sessionTimeoutMs: 6_000,
      maxWaitTimeMs: 3_500,
    });
    await expect(client.consumer('g')).rejects.toThrow(
      'the fetch wait (STREAM_GEN_KAFKA_MAX_WAIT_MS, 3500 ms) must be at most half the session timeout (STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS, 6000 ms)',
    );
  });
});

async function waitFor(done: () => boolean, why: () => string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out:\n${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

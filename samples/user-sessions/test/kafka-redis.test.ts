/**
 * UserSessions as it runs in production: the generated main file (built: `npx tsc -b
 * samples/user-sessions`) as its own process, on Kafka (librdkafka's mock cluster) with
 * Redis state. The activity is not partitioned by user: the job re-keys it through
 * `UserSessions.UserSessions.repartition`, each task's watermark the least over the
 * activity's partitions.
 */
import * as path from 'node:path';
import { HEADER_ID } from '@stream-gen/runtime';
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
import {
  generateActivity,
  inOrder,
  referenceSessions,
  SESSION_GAP_MS,
  type Activity,
  type Session,
} from '../src';

jest.setTimeout(120_000);
const services = testServices();
const MAIN = path.join(__dirname, '..', 'dist', 'generated', 'user-sessions.main.generated.js');
const PARTITIONS = 3;
const REPARTITION = 'UserSessions.UserSessions.repartition';

describe('UserSessions on Kafka and Redis', () => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const jobs: JobProcess[] = [];
  let reader: TopicReader | undefined;

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    await reader?.close();
  });

  it('outputs the sessions computed directly, each under its window id', async () => {
    const ns = `us-${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of ['activity', 'sessions', 'late', 'dead-letters', REPARTITION])
      await services.kafka.createTopic(topic(name), PARTITIONS);
    const activity = generateActivity({ users: 20, events: 1_500, seed: 31 });
    const expected = referenceSessions(activity, SESSION_GAP_MS);
    expect(expected.length).toBeGreaterThan(100);
    // round robin in arrival order; then one event per partition two gaps after the
    // last, so that every partition's watermark passes every session's end
    const after = Math.max(...activity.map((a) => a.ts)) + 2 * SESSION_GAP_MS;
    const closing = Array.from({ length: PARTITIONS }, (_, p) => {
      const value: Activity = { userId: `closing-${p}`, ts: after, action: 'view' };
      return { key: value.userId, value, partition: p };
    });
    await produce(kafka, topic('activity'), [
      ...activity.map((value, i) => ({ key: value.userId, value, partition: i % PARTITIONS })),
      ...closing,
    ]);

    reader = await TopicReader.start(kafka, [
      topic('sessions'),
      topic('late'),
      topic('dead-letters'),
    ]);
    const job = startJobProcess(MAIN, {
      env: {
        KAFKA_BROKERS: services.kafkaBrokers.join(','),
        REDIS_URL: services.redisUrl,
        STREAM_GEN_NAMESPACE: ns,
        STREAM_GEN_CHECKPOINT_INTERVAL_MS: '300',
        STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
      },
    });
    jobs.push(job);
    const sessions = () => reader?.records.filter((r) => r.topic === topic('sessions')) ?? [];
    const ids = () => new Set(sessions().map((r) => r.headers[HEADER_ID]));
    await reader.waitFor(
      () => ids().size >= expected.length,
      90_000,
      () => `${ids().size}/${expected.length} sessions\n${job.output()}`,
    );

    // written at least once: a record written twice is the same under the same id
    const byId = new Map<string, string>();
    for (const r of sessions()) {
      const content = JSON.stringify(r.value);
      expect(byId.get(r.headers[HEADER_ID]) ?? content).toBe(content);
      byId.set(r.headers[HEADER_ID], content);
    }
    const out = [...byId].map(([id, content]) => ({ id, value: JSON.parse(content) as Session }));
    expect(inOrder(out.map((s) => s.value))).toEqual(expected);
    for (const { id, value: s } of out) {
      expect(id).toMatch(
        new RegExp(
          `^UserSessions/[0-${PARTITIONS - 1}]/window@${s.sessionStart}-${s.sessionEnd + SESSION_GAP_MS}:${s.userId}#0$`,
        ),
      );
    }
    // the tasks of all partitions had users
    expect(new Set(out.map((s) => s.id.split('/')[1])).size).toBe(PARTITIONS);
    expect(reader.records.filter((r) => r.topic !== topic('sessions'))).toEqual([]);
    // the activity went through the repartition topic (heartbeats may be dropped before it)
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic(REPARTITION));
      expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBeGreaterThanOrEqual(
        activity.filter((a) => a.action !== 'heartbeat').length,
      );
    } finally {
      await admin.disconnect();
    }
    expect(await job.stop()).toBe('SIGTERM');
  });
});

/**
 * Redis and Kafka going away mid-run and coming back: the job pauses, logs, retries
 * and resumes; nothing is lost and nothing applied twice.
 */
import { RestartableRedis } from '../../../packages/runtime/test-services/restartable-redis';
import { JoinOnKafka } from './support/join-on-kafka';

jest.setTimeout(180_000);

describe('ImpressionJoin through service outages', () => {
  let run: JoinOnKafka | undefined;
  afterEach(() => run?.close());

  it('rides out the Kafka brokers going down for 5 s', async () => {
    run = await JoinOnKafka.create('kafka-outage', { impressions: 2000, seed: 31 });
    const job = run.start();
    const feeding = run.feed(10, 300);
    await job.waitForLog(/owning tasks 0, 1, 2, 3/, 30_000);
    await new Promise((r) => setTimeout(r, 800));
    await run.services.kafka.brokerDown(-1);
    await new Promise((r) => setTimeout(r, 5000));
    await run.services.kafka.brokerUp(-1);
    await feeding;
    await run.outputsComplete(90_000, () => job.output());
    expect(run.mismatches()).toEqual([]);
    expect(run.inconsistentDuplicates()).toEqual([]);
    expect(await job.stop()).toBe('SIGTERM');
  });

  it('rides out Redis stopping for 5 s and starting again with its data', async () => {
    const redis = await RestartableRedis.start();
    try {
      run = await JoinOnKafka.create('redis-outage', { impressions: 2000, seed: 32 });
      const job = run.start({ REDIS_URL: redis.url });
      const feeding = run.feed(10, 300);
      await job.waitForLog(/owning tasks 0, 1, 2, 3/, 30_000);
      await new Promise((r) => setTimeout(r, 800));
      await redis.down();
      await new Promise((r) => setTimeout(r, 5000));
      await redis.up();
      await feeding;
      await run.outputsComplete(90_000, () => job.output());
      expect(job.output()).toMatch(
        /Redis at redis:\/\/127\.0\.0\.1:\d+ unavailable; retrying in \d+ ms/,
      );
      expect(run.mismatches()).toEqual([]);
      expect(run.inconsistentDuplicates()).toEqual([]);
      expect(await job.stop()).toBe('SIGTERM');
    } finally {
      await redis.stop();
    }
  });
});

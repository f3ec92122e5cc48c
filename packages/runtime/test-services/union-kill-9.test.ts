/**
 * The union job of test/union-job.ts as its own process on Kafka and Redis (three
 * topics not partitioned by the union's key, so the re-keying stage runs too), killed
 * with SIGKILL while clicks keep arriving, then started again: each user's count in
 * Redis and the counts written equal the direct computation over the clicks (a click
 * applied twice or lost would show), and a count written twice is the same record
 * under the same id. Run twice: as it is, and with a keyed stage fused after the count,
 * whose state and outputs must count every click once too.
 */
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { HEADER_ID } from '../src';
import {
  countMismatches,
  DEVICES,
  generateClicks,
  referenceState,
  TALLY_STAGE,
  UNION_JOB,
  UNION_REPARTITION,
  UNION_SINK,
  type TalliedCount,
  type UserCount,
} from '../test/union-job';
import { startJobProcess, type JobProcess } from './job-process';
import { kafkaSecurityEnv } from './job-env';
import { kafkaClient, produce, TopicReader } from './kafka-io';
import { testServices } from './services';

jest.setTimeout(300_000);
const services = testServices();
const RUN_TYPESCRIPT = path.join(__dirname, 'run-typescript.js');
const MAIN = path.join(__dirname, 'union-job.main.ts');
const PARTITIONS = 3;
const PER_DEVICE = 3_000;
const CLICKS = generateClicks({ perDevice: PER_DEVICE, users: 40 });
const TOTAL = DEVICES.length * PER_DEVICE;
/** The clicks arrive in this many parts, PAUSE_MS apart, while the job runs: it is never idle for long. */
const PARTS = 60;
const PAUSE_MS = 50;
/** The parts from this one on are sent only after the kill, so input arrives after it whatever the load. */
const HOLD_UNTIL_KILL = 45;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every user's value of a state in Redis: user -> the tasks holding it and the value. */
async function countState(
  ns: string,
  state = 'count',
): Promise<Map<string, Array<{ task: string; count: number }>>> {
  const redis = new Redis(services.redisUrl);
  try {
    const out = new Map<string, Array<{ task: string; count: number }>>();
    for (const key of await redis.keys(`sg:${ns}:{${UNION_JOB}:*}:state:${state}`)) {
      const task = new RegExp(`\\{${UNION_JOB}:([^}]+)\\}`).exec(key)?.[1] ?? key;
      for (const [user, json] of Object.entries(await redis.hgetall(key))) {
        const count = (JSON.parse(json) as { value: number }).value;
        out.set(user, [...(out.get(user) ?? []), { task, count }]);
      }
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

// fused: with a keyed stage fused after the count (sameKey), in the count's tasks and commits
describe.each([
  { fused: false, title: 'union' },
  { fused: true, title: 'union with a fused keyed stage' },
])('$title killed with SIGKILL mid-run on Kafka and Redis', ({ fused }) => {
  const kafka = kafkaClient(services.kafkaBrokers);
  const jobs: JobProcess[] = [];
  let reader: TopicReader | undefined;

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    await reader?.close();
  });

  it('counts every click once after a restart; duplicates carry the same id and content', async () => {
    const ns = `union-kill-${fused ? 'fused-' : ''}${Date.now()}`;
    const topic = (name: string) => `${ns}.${name}`;
    for (const name of [...DEVICES, UNION_SINK, UNION_REPARTITION])
      await services.kafka.createTopic(topic(name), PARTITIONS);
    const start = () => {
      const job = startJobProcess(RUN_TYPESCRIPT, {
        args: [MAIN],
        env: {
          KAFKA_BROKERS: services.kafkaBrokers.join(','),
          ...kafkaSecurityEnv(services.kafkaSecurity),
          REDIS_URL: services.redisUrl,
          STREAM_GEN_NAMESPACE: ns,
          STREAM_GEN_CHECKPOINT_INTERVAL_MS: '200',
          STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
          UNION_FUSED: fused ? '1' : '0',
        },
        echo: process.env.DEBUG_JOB === '1',
      });
      jobs.push(job);
      return job;
    };
    reader = await TopicReader.start(kafka, [topic(UNION_SINK), topic(UNION_REPARTITION)]);
    const counts = () => reader?.records.filter((r) => r.topic === topic(UNION_SINK)) ?? [];
    const ids = () => new Set(counts().map((r) => r.headers[HEADER_ID]));

    let job = start();
    await job.waitForLog(/owning tasks 0, 1, 2\b/, 60_000);
    let sent = 0;
    let killed: () => void = () => undefined;
    const afterKill = new Promise<void>((resolve) => (killed = resolve));
    const feeding = (async () => {
      const size = CLICKS.web.length / PARTS;
      for (; sent < PARTS; sent++) {
        if (sent === HOLD_UNTIL_KILL) await afterKill;
        for (const device of DEVICES) {
          const part = CLICKS[device].slice(sent * size, (sent + 1) * size);
          // round robin over the partitions, whatever the user: re-keyed by the job
          await produce(
            kafka,
            topic(device),
            part.map((c, i) => ({ value: c, partition: i % PARTITIONS })),
          );
        }
        await sleep(PAUSE_MS);
      }
    })();

    // killed once half the input is sent and a tenth of the counts are out
    await reader.waitFor(
      () => sent >= PARTS / 2 && ids().size >= TOTAL * 0.1,
      60_000,
      () => `${ids().size}/${TOTAL} counts, ${sent}/${PARTS} parts sent\n${job.output()}`,
    );
    const sentAtKill = sent;
    await job.kill();
    killed();
    // the kill landed mid-run: the process died by the signal, part of the counts were
    // written, not all, while clicks were still arriving
    expect(await job.exited()).toBe('SIGKILL');
    const atKill = ids().size;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(TOTAL);
    expect(sentAtKill).toBeLessThan(PARTS);

    job = start();
    await feeding;
    // (a full run beside the other suites has needed more than a minute here)
    await reader
      .waitFor(
        () => ids().size >= TOTAL,
        150_000,
        () => `${ids().size}/${TOTAL} counts\n${job.output()}`,
      )
      .catch(async (error: Error) => {
        // where each task stands, to tell a slow run from a stuck one
        const health = await job.health().catch((e: Error) => e.message);
        throw new Error(`${error.message}\n/health: ${JSON.stringify(health)}`);
      });
    expect(await job.stop()).toBe(0);

    // a count written twice is the same record under the same id
    const byId = new Map<string, string>();
    const inconsistent: string[] = [];
    for (const r of counts()) {
      const content = JSON.stringify(r.value);
      const seen = byId.get(r.headers[HEADER_ID]);
      if (seen !== undefined && seen !== content) {
        inconsistent.push(`${r.headers[HEADER_ID]}: ${seen} <> ${content}`);
      }
      byId.set(r.headers[HEADER_ID], content);
    }
    expect(inconsistent.slice(0, 5)).toEqual([]);
    expect(byId.size).toBe(TOTAL);
    const distinct = [...byId.values()].map((v) => JSON.parse(v) as UserCount);
    expect(countMismatches(CLICKS, distinct)).toEqual([]);

    // each user's count is held by one task and equals its clicks
    const state = await countState(ns);
    const owners = [...state].filter(([, held]) => held.length !== 1);
    expect(owners).toEqual([]);
    expect(new Map([...state].map(([user, [held]]) => [user, held.count]))).toEqual(
      referenceState(CLICKS),
    );
    if (fused) {
      // the fused stage saw each count once: beside it in every output, and in its state,
      // held by the task that holds the user's count
      const unequal = (distinct as TalliedCount[]).filter((c) => c.seen !== c.count);
      expect(unequal.slice(0, 5)).toEqual([]);
      const tally = await countState(ns, `${TALLY_STAGE}.seen`);
      expect(new Map([...tally].map(([user, held]) => [user, held]))).toEqual(state);
    }
    // what the restart did again (it varies with the moment of the kill): counts written
    // again, and clicks the re-keying stage sent again (the tasks skip those)
    const forwarded = reader
      .values<{ s: string; up: number; off?: number }>(topic(UNION_REPARTITION))
      .filter((e) => e.off !== undefined);
    const resent = forwarded.length - new Set(forwarded.map((e) => `${e.s}:${e.up}@${e.off}`)).size;
    process.stderr.write(
      `union${fused ? ' fused' : ''} kill -9: ${atKill}/${TOTAL} counts out at the kill, ${sentAtKill}/${PARTS} parts of the input sent; ` +
        `${counts().length - byId.size} count(s) written again, ${resent} click(s) re-keyed again after the restart\n`,
    );
  });
});

/**
 * ImpressionJoin's generated main file as its own process on Kafka (librdkafka's mock
 * cluster) with its state in a 3-master Redis Cluster chosen by REDIS_CLUSTER_NODES:
 * stopped with SIGTERM while input arrives, started again, and its outputs equal the
 * reference join. The cluster requires a password and the first instance is given one
 * seed only, so the nodes it discovers must take the credentials too; the second is
 * given every node in REDIS_URL. The password is never logged.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from 'ioredis';
import {
  keysPerMaster,
  startRedisCluster,
  type RedisCluster,
} from '../../../packages/runtime/test-services/redis-cluster';
import { JoinOnKafka } from './support/join-on-kafka';

jest.setTimeout(90_000);
const TASKS = ['0', '1', '2', '3'];
const DATA = { impressions: 2000, seed: 21 };
const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;

const CLI = join(__dirname, '../../../packages/codegen/bin/stream-gen.js');

/** `stream-gen checkpoints ImpressionJoin --json` as its own process, with `env` added. */
async function checkpointsCommand(env: Record<string, string>): Promise<string> {
  const { REDIS_URL: _ignored, ...inherited } = process.env;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CLI, 'checkpoints', 'ImpressionJoin', '--json'],
    { env: { ...inherited, ...env } },
  );
  return stdout;
}

/** Per task, the id of its latest checkpoint in the cluster (0 when it has none). */
async function checkpointHeads(cluster: Cluster, ns: string): Promise<number[]> {
  return Promise.all(
    TASKS.map(async (t) => Number(await cluster.hget(`sg:${ns}:{ImpressionJoin:${t}}:head`, 'id'))),
  );
}

describe('ImpressionJoin on Kafka and a Redis Cluster', () => {
  let cluster: RedisCluster | undefined;
  let run: JoinOnKafka | undefined;
  let reference: JoinOnKafka | undefined;

  afterAll(async () => {
    await run?.close();
    await reference?.close();
    await cluster?.stop();
  });

  it('equals the reference join across a restart, with every task’s state in the cluster', async () => {
    cluster = await startRedisCluster(3, { password: PASSWORD });
    run = await JoinOnKafka.create('ij-cluster', DATA);
    const seeds = cluster.ports.map((port) => `127.0.0.1:${port}`);
    // REDIS_URL unset, whatever the test environment says: only the cluster may be used
    const first = run.start({
      REDIS_URL: undefined,
      REDIS_CLUSTER_NODES: `redis://:${PASSWORD}@${seeds[0]}`,
    });
    const feeding = run.feed(10, 800);
    await first.waitForLog(/owning tasks 0, 1, 2, 3/, 30_000);
    expect(first.output()).toContain(`with Redis Cluster state at ${seeds[0]} (password set)`);
    // stopped once every task has checkpointed state, while the input goes on
    const deadline = Date.now() + 20_000;
    while (Math.min(...(await checkpointHeads(cluster.client, run.ns))) < 2) {
      if (Date.now() > deadline)
        throw new Error(`no checkpoints in the cluster\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await first.stop()).toBe('SIGTERM');
    expect(first.output()).toMatch(/final checkpoint taken for tasks 0, 1, 2, 3/);
    const headsAfterFirst = await checkpointHeads(cluster.client, run.ns);

    // the other way to name a cluster: several nodes in REDIS_URL
    const second = run.start({
      REDIS_URL: `redis://:${PASSWORD}@${seeds.join(',')}`,
      REDIS_CLUSTER_NODES: undefined,
    });
    await feeding;
    await run.outputsComplete(40_000, () => second.output());
    expect(second.output()).toContain(`with Redis Cluster state at ${seeds.join(',')}`);
    expect(run.expected.length).toBeGreaterThan(300);
    expect(run.mismatches()).toEqual([]);
    expect(run.inconsistentDuplicates()).toEqual([]);
    expect(await second.stop()).toBe('SIGTERM');
    // a wrong password is named as the reason it cannot connect, and not shown either
    const refused = run.start({
      REDIS_URL: undefined,
      REDIS_CLUSTER_NODES: `redis://:not-${PASSWORD}@${seeds[1]}`,
    });
    await refused.waitForLog(/Redis Cluster at \S+ \(password set\) unavailable \(.*WRONGPASS/);
    await refused.kill();
    for (const job of [first, second, refused]) expect(job.output()).not.toContain(PASSWORD);

    // The second instance went on from the first one's checkpoints: a commit must
    // follow the latest id, so a task restored from anywhere else could not commit.
    const headsAtEnd = await checkpointHeads(cluster.client, run.ns);
    TASKS.forEach((_, i) => expect(headsAtEnd[i]).toBeGreaterThan(headsAfterFirst[i]));

    // the state is in the cluster, spread over its masters, and not in the standalone Redis
    const perMaster = await keysPerMaster(cluster.client, `sg:${run.ns}:*`);
    const tasksOn = Object.values(perMaster).map(
      (keys) => new Set(keys.map((k) => /\{ImpressionJoin:(\d+)\}/.exec(k)?.[1])),
    );
    expect(tasksOn.filter((tasks) => tasks.size > 0).length).toBeGreaterThanOrEqual(2);
    expect(tasksOn.flatMap((tasks) => [...tasks]).sort()).toEqual(TASKS);
    const state = await run.keyedStateInCluster(cluster.client);
    expect(Object.keys(state).length).toBeGreaterThan(100);
    expect(new Set(Object.keys(state).map((k) => k.split('/')[0]))).toEqual(new Set(TASKS));
    expect(await run.keyedState()).toEqual({});

    // the operator commands find the checkpoints in the cluster too
    const listed = await checkpointsCommand({
      REDIS_CLUSTER_NODES: `redis://:${PASSWORD}@${seeds[1]}`,
      STREAM_GEN_NAMESPACE: run.ns,
    });
    const tasks = (JSON.parse(listed) as { tasks: { task: string }[] }).tasks;
    expect(tasks.map((t) => t.task)).toEqual(TASKS);
    expect(listed).not.toContain(PASSWORD);

    // and it is the state the same input leaves in a standalone Redis
    reference = await JoinOnKafka.create('ij-standalone', DATA);
    const job = reference.start();
    await reference.feed(4, 200);
    await reference.outputsComplete(30_000, () => job.output());
    expect(await job.stop()).toBe('SIGTERM');
    expect(state).toEqual(await reference.keyedState());
  });
});

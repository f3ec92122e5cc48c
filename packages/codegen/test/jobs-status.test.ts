/**
 * `stream-gen jobs` and `stream-gen status`, in process (`main(argv, io)`), against a
 * job running as its own process on the test run's mock Kafka and redis-server: the
 * union job of the runtime's tests, started the way a generated main starts a job
 * (`launchJob` from the environment, with an HTTP port). It registers as it starts,
 * reports its tasks and counters with each heartbeat, is shown gone once killed with
 * SIGKILL and stopped after SIGTERM.
 */
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { InstanceView, JobStatus } from '@stream-gen/runtime';
import {
  DEVICES,
  generateClicks,
  UNION_JOB,
  UNION_REPARTITION,
  UNION_SINK,
} from '../../runtime/test/union-job';
import { startJobProcess, type JobProcess } from '../../runtime/test-services/job-process';
import { kafkaJobEnv } from '../../runtime/test-services/job-env';
import { kafkaClient, produce } from '../../runtime/test-services/kafka-io';
import { testServices } from '../../runtime/test-services/services';
import { cli } from './run-cli';

jest.setTimeout(180_000);
const services = testServices();
const RUNTIME_SERVICES = path.join(__dirname, '../../runtime/test-services');
const RUN_TYPESCRIPT = path.join(RUNTIME_SERVICES, 'run-typescript.js');
const MAIN = path.join(RUNTIME_SERVICES, 'union-job.main.ts');
const PARTITIONS = 3;
const PER_DEVICE = 40;
const TOTAL = DEVICES.length * PER_DEVICE;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const env = { ...process.env };
const processes: JobProcess[] = [];
let ns: string;

beforeAll(async () => {
  ns = `jobs-status-${process.pid}-${Date.now().toString(36)}`;
  const topic = (name: string) => `${ns}.${name}`;
  for (const name of [...DEVICES, UNION_SINK, UNION_REPARTITION])
    await services.kafka.createTopic(topic(name), PARTITIONS);
  const clicks = generateClicks({ perDevice: PER_DEVICE, users: 7 });
  const kafka = kafkaClient(services.kafkaBrokers);
  for (const device of DEVICES) {
    await produce(
      kafka,
      topic(device),
      clicks[device].map((c, i) => ({ value: c, partition: i % PARTITIONS })),
    );
  }
});
beforeEach(() => {
  process.env.REDIS_URL = services.redisUrl;
  process.env.STREAM_GEN_NAMESPACE = ns;
});
afterEach(() => {
  process.env = { ...env };
});
afterAll(async () => {
  for (const job of processes) await job.kill();
});

function startJob(): JobProcess {
  const job = startJobProcess(RUN_TYPESCRIPT, {
    args: [MAIN],
    env: kafkaJobEnv(services, ns),
    echo: process.env.DEBUG_JOB === '1',
  });
  processes.push(job);
  return job;
}

async function json<T>(...argv: string[]): Promise<T> {
  const r = await cli(...argv, '--json');
  if (r.code !== 0) throw new Error(`stream-gen ${argv.join(' ')}: exit ${r.code}: ${r.err}`);
  return JSON.parse(r.out) as T;
}

interface Listing {
  readonly keyPrefix: string;
  readonly jobs: ReadonlyArray<{ readonly job: string; readonly instances: InstanceView[] }>;
}

const instancesOf = async () => (await json<Listing>('jobs')).jobs[0]?.instances ?? [];

/** Polls `read` until `done` holds; fails after `timeoutMs` showing the last value. */
async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`not within ${timeoutMs} ms; last: ${JSON.stringify(value, null, 2)}`);
    }
    await sleep(250);
  }
}

it('lists a running instance, its tasks and counters; gone after SIGKILL, stopped after SIGTERM', async () => {
  const first = startJob();
  await first.waitForLog(/owning tasks 0, 1, 2\b/, 60_000);

  // every click counted, every task checkpointed and owned by the instance
  const status = await until(
    () => json<JobStatus>('status', UNION_JOB),
    (s) =>
      (s.instances[0]?.counters.recordsOut ?? 0) >= TOTAL &&
      s.tasks.length === 3 &&
      s.tasks.every((t) => t.instance && t.checkpoint),
  );
  expect(status.job).toBe(UNION_JOB);
  expect(status.keyPrefix).toBe(`sg:${ns}`);
  expect(status.instances).toHaveLength(1);
  const [instance] = status.instances;
  expect(instance).toMatchObject({
    job: UNION_JOB,
    pid: first.pid,
    host: hostname(),
    state: 'running',
    heartbeatMs: 1000,
    counters: { deadLetters: 0, late: 0 },
  });
  // (at least: a task that restarts from its checkpoint counts what it emits again)
  expect(instance.counters.recordsIn).toBeGreaterThanOrEqual(TOTAL);
  expect(instance.counters.recordsOut).toBeGreaterThanOrEqual(TOTAL);
  expect(instance.version).toMatch(/^[0-9a-f]{12}$/);
  expect(instance.url).toMatch(/^http:\/\/.+:\d+$/);
  expect(instance.heartbeatAgeMs).toBeLessThan(3000);
  expect(instance.tasks.map((t) => t.task)).toEqual(['0', '1', '2']);
  expect(status.tasks.map((t) => [t.task, t.instance])).toEqual(
    ['0', '1', '2'].map((t) => [t, instance.instance]),
  );
  for (const t of status.tasks) {
    expect(t.checkpoint?.id).toBeGreaterThanOrEqual(1);
    expect(t.checkpoint?.ageMs).toBeLessThan(60_000);
  }

  const listed = await cli('jobs');
  expect(listed.code).toBe(0);
  const rows = listed.out.split('\n');
  expect(rows[0]).toBe(`${UNION_JOB}: 1 instance(s): 1 running`);
  expect(rows[1]).toMatch(/^ {2}instance +host +pid +version +state +heartbeat +started +tasks$/);
  expect(rows[2]).toMatch(
    new RegExp(
      `^  ${instance.instance}  ${escape(hostname())} +${first.pid} +${instance.version}  running  \\d+\\.\\ds ago +\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  0,1,2$`,
    ),
  );
  expect(rows).toHaveLength(3);

  const shown = (await cli('status', UNION_JOB)).out.split('\n');
  expect(shown[0]).toBe(`job ${UNION_JOB}: 1 instance(s): 1 running`);
  expect(shown[1]).toMatch(
    /^ {2}instance +host +pid +version +state +heartbeat +records in +records out +late +dead letters +checkpoints$/,
  );
  expect(shown[2]).toMatch(
    new RegExp(`^  ${instance.instance} .* running .* \\d+ +\\d+ +0 +0 +\\d+$`),
  );
  expect(shown.slice(3, 6)).toEqual([
    '',
    '3 task(s):',
    expect.stringMatching(/^ {2}task +instance +watermark +checkpoint +taken +positions$/),
  ]);
  expect(shown.slice(6)).toEqual(
    ['0', '1', '2'].map((t) =>
      expect.stringMatching(
        new RegExp(
          `^  ${t} +${instance.instance} +(-|end|[\\dT:.Z-]+) +\\d+ +[\\d.sm ]+ ago +\\S+=\\d+`,
        ),
      ),
    ),
  );

  // killed: gone once three heartbeats are missed; its tasks have no owner, their checkpoints stay
  await first.kill();
  const gone = await until(instancesOf, ([i]) => i?.state === 'gone', 15_000);
  expect(gone[0].heartbeatAgeMs).toBeGreaterThan(3000);
  expect((await cli('jobs')).out.split('\n')[0]).toBe(`${UNION_JOB}: 1 instance(s): 1 gone`);
  const orphaned = await json<JobStatus>('status', UNION_JOB);
  expect(orphaned.tasks.map((t) => [t.task, t.instance, t.checkpoint?.id])).toEqual(
    status.tasks.map((t) => [t.task, undefined, expect.any(Number)]),
  );

  // a second start is another instance; SIGTERM: its last heartbeat says it stopped
  const second = startJob();
  const both = await until(instancesOf, (is) => is.some((i) => i.pid === second.pid));
  const again = both.find((i) => i.pid === second.pid) as InstanceView;
  expect(again.instance).not.toBe(instance.instance);
  expect(again.version).toBe(instance.version);
  await second.waitForLog(/owning tasks 0, 1, 2\b/, 60_000);
  expect(await second.stop()).toBe(0);
  const after = await instancesOf();
  expect(after.map((i) => [i.instance, i.state, i.tasks.length])).toEqual([
    [instance.instance, 'gone', 3],
    [again.instance, 'stopped', 0],
  ]);
  expect((await cli('jobs')).out.split('\n')[0]).toBe(
    `${UNION_JOB}: 2 instance(s): 1 stopped, 1 gone`,
  );
});

describe('errors', () => {
  it('a job neither registered nor checkpointed: names the registered ones, exit 1', async () => {
    const r = await cli('status', 'Nope');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^stream-gen status: job "Nope" has no instance in the registry and no checkpoints; jobs registered: /,
    );
  });

  it('no job registered under the namespace: says where it looked', async () => {
    process.env.STREAM_GEN_NAMESPACE = `${ns}-empty`;
    expect(await cli('jobs')).toEqual({
      code: 0,
      out: `no job registered (key sg:${ns}-empty:jobs): jobs register while they run on Kafka with Redis state`,
      err: '',
    });
  });

  it('REDIS_URL unset: says what to set, exit 1', async () => {
    delete process.env.REDIS_URL;
    for (const argv of [['jobs'], ['status', 'Job']]) {
      const r = await cli(...argv);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        `stream-gen ${argv[0]}: REDIS_URL is not set: the instances of a job register in the Redis ` +
          'its runners use; set REDIS_URL=redis://host:6379, or REDIS_CLUSTER_NODES=host:port,host:port for a ' +
          'Redis Cluster (and STREAM_GEN_NAMESPACE when the job runs with one)',
      );
    }
  });

  it.each([
    [['status'], 'name the job, e.g. stream-gen status ImpressionJoin', 'status <Job>'],
    [['jobs', 'Extra'], 'unexpected argument: Extra', 'jobs [--json]'],
  ])('%j is a usage error: exit 2 with the usage', async (argv, message, usage) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(message);
    expect(r.err).toContain(`Usage: stream-gen ${usage}`);
  });
});

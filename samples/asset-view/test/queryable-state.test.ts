/**
 * Queryable state: two instances of AssetView on Kafka share the tasks; each answers
 * `GET /state/AssetView/assets/<key>` for every key, forwarding a key of a task the
 * other owns to it (found in the Redis registry), and every answer equals the fold.
 * A key whose owner is gone (stopped with SIGKILL, its tasks not yet taken over) is
 * answered 503 with Retry-After, never a stale value; once the survivor owns every
 * task it answers for them all.
 */
import { StateClient, StateQueryError } from '@stream-gen/runtime';
import type { JobProcess } from '../../../packages/runtime/test-services/job-process';
import { keyPartition } from '../../../packages/runtime/src/query/key-partition';
import { foldAssets, generateAssets, type CachedAssets } from '../src';
import { assetViewOnKafka, PARTITIONS } from './asset-view-on-kafka';

jest.setTimeout(150_000);

describe('AssetView state queried on two instances', () => {
  const jobs: JobProcess[] = [];

  afterAll(async () => {
    for (const job of jobs) await job.kill();
  });

  it('answers every key on either instance, forwarding to the owner; a moving key is 503', async () => {
    const ns = `av-query-${Date.now()}`;
    const { start, send, started } = await assetViewOnKafka(ns);
    const data = generateAssets({ seed: 21, events: 4_000, movies: 12 });
    const expected = foldAssets([...data.events, ...data.fullPublishes.flat()]);
    const [a, b] = [start(), start()];
    jobs.push(...started);
    await Promise.all([a, b].map(portOf));
    await send('asset-events', data.events);
    await send('full-publish', data.fullPublishes.flat());
    // both own tasks, and between them all four
    const tasksOf = async (job: JobProcess) => (await job.health()).tasks.map((t) => t.task);
    const until = Date.now() + 60_000;
    let split: string[][] = [];
    while (Date.now() < until) {
      split = [await tasksOf(a), await tasksOf(b)];
      if (split.every((t) => t.length > 0) && split.flat().length === PARTITIONS) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(split.flat().sort()).toEqual(['0', '1', '2', '3']);
    const url = async (job: JobProcess) => `http://127.0.0.1:${await portOf(job)}`;
    const clients = [new StateClient(await url(a)), new StateClient(await url(b))];
    const caughtUpBy = Date.now() + 60_000;
    const forwarded = [0, 0];
    for (const [key, assets] of expected) {
      for (const [i, client] of clients.entries()) {
        let reading = await client.read<CachedAssets>('AssetView', 'assets', key);
        // the live state catches up with the input
        while (
          JSON.stringify(reading.value) !== JSON.stringify(assets) &&
          Date.now() < caughtUpBy
        ) {
          await new Promise((r) => setTimeout(r, 200));
          reading = await client.read<CachedAssets>('AssetView', 'assets', key);
        }
        expect(sorted(reading.value)).toEqual(sorted(assets));
        expect(split.flat()).toContain(reading.task);
        if (!split[i].includes(reading.task)) forwarded[i]++;
      }
    }
    // each instance answered keys of the other's tasks
    expect(forwarded.every((n) => n > 0)).toBe(true);
    const absent = await clients[0].get('AssetView', 'assets', 'cdn-9:m-999');
    expect(absent).toBeUndefined();
    await expect(clients[0].get('AssetView', 'nope', 'cdn-0:m-000')).rejects.toThrow(
      /no state "nope"/,
    );
    await expect(clients[0].get('Nope', 'assets', 'cdn-0:m-000')).rejects.toThrow(
      /no keyed stage "Nope"/,
    );

    // b dies: until a owns b's tasks (the session times out), b's keys are moving
    const bKey = [...expected.keys()].find((k) => taskOfKey(k, split[1]))!;
    expect(bKey).toBeDefined();
    await b.kill();
    const impatient = new StateClient(await url(a), { retries: 0 });
    const answer = await impatient.get('AssetView', 'assets', bKey).then(
      (value) => ({ value }),
      (error: unknown) => ({ status: (error as StateQueryError).status }),
    );
    // a either still finds b's stale announcement (its fetch fails: 503) or none: 503
    expect(answer).toEqual({ status: 503 });
    // the patient client waits out the move and gets the value from a
    const patient = new StateClient(await url(a), { retries: 30 });
    expect(sorted(await patient.get<CachedAssets>('AssetView', 'assets', bKey))).toEqual(
      sorted(expected.get(bKey)),
    );
    expect(await a.stop()).toBe('SIGTERM');
  });
});

/** Whether a key's task is among `tasks`: where Kafka's partitioner put the key, as the test's producer did. */
function taskOfKey(key: string, tasks: readonly string[]): boolean {
  return tasks.includes(String(keyPartition(key, PARTITIONS, true)));
}

const sorted = (assets: CachedAssets | undefined) =>
  assets && Object.fromEntries(Object.entries(assets).sort(([x], [y]) => x.localeCompare(y)));

/** The HTTP port a job process bound (STREAM_GEN_HTTP_PORT=0), from its start-up log. */
async function portOf(job: JobProcess): Promise<number> {
  await job.waitForLog(/status on http:\/\/localhost:\d+/, 30_000);
  return Number(/status on http:\/\/localhost:(\d+)/.exec(job.output())![1]);
}

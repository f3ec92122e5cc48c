/**
 * kill -9 of the running job at seeded random moments, restarted each time: the
 * keyed state, timers and positions at the end equal a failure-free run's, every
 * expected conversion is there, and a conversion written twice is the same record
 * with the same id. The same when a second instance joins and leaves again. And
 * SIGTERM takes a final checkpoint, so a restart re-reads nothing.
 */
import { seededRandom } from '@stream-gen/runtime/testing';
import { JoinOnKafka } from './support/join-on-kafka';

jest.setTimeout(240_000);
const DATA = { impressions: 2000, seed: 40 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until every task's checkpointed positions are those of `progress` (the clean run's). */
async function waitForPositions(
  run: JoinOnKafka,
  progress: Record<string, unknown>,
  timeoutMs: number,
): Promise<void> {
  // per task, its positions with the sources in name order
  const positions = (p: Record<string, unknown>) =>
    JSON.stringify(
      Object.entries(p).map(([task, c]) => [
        task,
        Object.entries((c as { positions?: object } | undefined)?.positions ?? {}).sort(),
      ]),
    );
  const wanted = positions(progress);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = positions(await run.checkpointedProgress());
    if (seen === wanted) return;
    if (Date.now() > deadline) {
      throw new Error(`checkpointed positions ${seen}, not ${wanted}, after ${timeoutMs} ms`);
    }
    await sleep(250);
  }
}

describe('ImpressionJoin killed and restarted', () => {
  const runs: JoinOnKafka[] = [];
  let clean: { state: Record<string, string>; progress: Record<string, unknown> };

  afterAll(() => Promise.all(runs.map((r) => r.close())));

  /** Every conversion right, duplicates identical, state and progress as the clean run's. */
  async function expectFailureFreeEnd(run: JoinOnKafka): Promise<void> {
    expect(run.mismatches()).toEqual([]);
    expect(run.inconsistentDuplicates()).toEqual([]);
    expect(await run.keyedState()).toEqual(clean.state);
    expect(await run.checkpointedProgress()).toEqual(clean.progress);
  }

  beforeAll(async () => {
    const run = await JoinOnKafka.create('clean', DATA);
    runs.push(run);
    const job = run.start();
    await run.feed(8, 200);
    await run.outputsComplete(60_000, () => job.output());
    expect(await job.stop()).toBe('SIGTERM');
    expect(run.mismatches()).toEqual([]);
    clean = { state: await run.keyedState(), progress: await run.checkpointedProgress() };
    // enough live state for the comparison to mean something
    expect(Object.keys(clean.state).length).toBeGreaterThan(100);
  });

  it.each([1, 2])(
    'ends in the failure-free state after kill -9 at random moments (seed %i)',
    async (seed) => {
      const rnd = seededRandom(seed);
      const run = await JoinOnKafka.create(`crash${seed}`, DATA);
      runs.push(run);
      let job = run.start();
      const feeding = run.feed(10, 1200);
      for (let kill = 0; kill < 2; kill++) {
        await job.waitForLog(/owning tasks 0, 1, 2, 3/, 60_000);
        await sleep(200 + rnd() * 1500);
        await job.kill();
        job = run.start();
      }
      await feeding;
      await run.outputsComplete(90_000, () => job.output());
      // The outputs may all come from a killed instance whose last work was never
      // checkpointed: the last instance must re-read it before it stops.
      await job.waitForLog(/owning tasks 0, 1, 2, 3/, 60_000);
      await waitForPositions(run, clean.progress, 60_000);
      expect(await job.stop()).toBe('SIGTERM');
      await expectFailureFreeEnd(run);
    },
  );

  it('ends in the failure-free state when a second instance joins and then leaves', async () => {
    const run = await JoinOnKafka.create('rebalance', DATA);
    runs.push(run);
    const first = run.start();
    const feeding = run.feed(10, 1200);
    await first.waitForLog(/owning tasks 0, 1, 2, 3/, 60_000);
    const second = run.start();
    await second.waitForLog(/owning tasks \d, \d\n/, 60_000);
    await first.waitForLog(/task \d revoked/, 30_000);
    await sleep(1000);
    expect(await second.stop()).toBe('SIGTERM');
    await feeding;
    await run.outputsComplete(90_000, () => first.output());
    // The group may take more than one round to settle (the mock broker sometimes answers
    // a heartbeat or a sync with an error, and a member rejoins): wait for the last one.
    await first.waitForLog(/owning tasks 0, 1, 2, 3[^]*revoked[^]*owning tasks 0, 1, 2, 3/, 60_000);
    expect(await first.stop()).toBe('SIGTERM');
    await expectFailureFreeEnd(run);
  });

  it('restarted after SIGTERM, re-reads nothing', async () => {
    const run = runs[0]; // the clean run, stopped with SIGTERM after all its input
    const job = run.start();
    await job.waitForLog(/owning tasks 0, 1, 2, 3/, 60_000);
    await sleep(1500);
    expect(await job.stop()).toBe('SIGTERM');
    expect(job.output()).toMatch(/job ImpressionJoin stopped: \{"recordsIn":0,/);
  });
});

import {
  EmbeddedLog,
  EmbeddedLogSink,
  EmbeddedLogSource,
  JobRunner,
  MemoryStateBackend,
  silentLogger,
  type StateBackend,
} from '../src';
import { beforeCommits } from './commit-hook';
import { clickJob } from './fixtures';

/** The in-memory backend, `before` run ahead of each of its commits (see `commit-hook.ts`). */
const backendWithCommitFault = (before: (n: number) => Promise<void>): StateBackend =>
  beforeCommits(new MemoryStateBackend(), before);

const clicks = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    key: `u${(from + i) % 7}`,
    value: JSON.stringify({ user: `u${(from + i) % 7}`, ts: (from + i) * 10 }),
  }));

function runner(log: EmbeddedLog, backend: StateBackend) {
  return new JobRunner({
    job: clickJob({ bound: 10_000 }),
    sources: { clicks: new EmbeddedLogSource(log, 'clicks') },
    sinks: { counts: new EmbeddedLogSink(log, 'counts'), late: new EmbeddedLogSink(log, 'late') },
    backend,
    logger: silentLogger,
    batchSize: 10,
    checkpointIntervalMs: 0,
    progressIntervalMs: 0,
  });
}

async function waitFor(done: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("a JobRunner's checkpoints", () => {
  it('are committed in the background: the task goes on processing while one is in flight', async () => {
    const log = new EmbeddedLog(1);
    log.append('clicks', clicks(0, 50));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    const backend = backendWithCommitFault(async (n) => {
      if (n !== 2) return;
      holding = true;
      await held;
    });
    const job = runner(log, backend);
    const running = job.run();
    await waitFor(() => holding);
    const atHold = job.metrics.recordsIn;
    log.append('clicks', clicks(50, 120));
    // with the commit still held, the task reads and processes the new records
    await waitFor(() => job.metrics.recordsIn === 120);
    expect(atHold).toBeLessThan(120);
    expect(job.metrics.checkpoints).toBe(1);
    release();
    await waitFor(() => job.metrics.checkpoints >= 2);
    await job.stop();
    await running;

    // what was processed is committed: a second run starts where the first stopped
    log.seal('clicks');
    const again = runner(log, backend);
    expect((await again.run()).metrics).toMatchObject({ recordsIn: 0 });
  });

  it('fail the run when a background commit fails, with the commit error', async () => {
    const log = new EmbeddedLog(1);
    log.append('clicks', clicks(0, 200));
    const backend = backendWithCommitFault(async (n) => {
      if (n === 3) throw new Error('state store lost');
    });
    await expect(runner(log, backend).run()).rejects.toThrow('state store lost');
  });
});

import { MAIN_STREAM } from '../src/task/output-stream';
import { OutputRouter } from '../src/runner/output-router';
import type { JobSpec, Logger, OutRecord, SinkConnector } from '../src';

const job: JobSpec = { name: 'J', sources: [{ name: 'in' }], outputs: { main: 'out' } };

/** A sink that fails its first `failures` writes. */
function flakySink(failures: number) {
  const written: OutRecord[] = [];
  let calls = 0;
  const sink: SinkConnector = {
    name: 'out',
    describe: () => 'flaky',
    open: async () => {},
    close: async () => {},
    async write(records) {
      if (calls++ < failures) throw new Error('broker unavailable');
      written.push(...records);
    },
  };
  return { sink, written, calls: () => calls };
}

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = {
    debug() {},
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
  return { logger, lines };
}

const record: OutRecord = {
  key: 'k',
  value: 1,
  headers: { 'stream-gen-id': 'J/0/0/0' },
  timestamp: 0,
};
const noWait = async () => {};

describe('OutputRouter sink retries', () => {
  it('retries a failing write with backoff, logs each attempt, and writes once the sink is back', async () => {
    const { sink, written } = flakySink(3);
    const { logger, lines } = recordingLogger();
    const waits: number[] = [];
    const router = new OutputRouter(job, { out: sink }, logger, {
      budgetMs: 60_000,
      sleep: async (ms) => void waits.push(ms),
    });
    router.route('0', { stream: MAIN_STREAM, record });
    await router.flush('0');
    expect(written).toEqual([record]);
    expect(waits).toEqual([250, 500, 1000]);
    expect(lines).toEqual([
      'warn writing 1 record(s) to sink "out" failed (attempt 1): broker unavailable; retrying in 250 ms',
      'warn writing 1 record(s) to sink "out" failed (attempt 2): broker unavailable; retrying in 500 ms',
      'warn writing 1 record(s) to sink "out" failed (attempt 3): broker unavailable; retrying in 1000 ms',
      'info sink "out" is writing again',
    ]);
  });

  it('fails with the sink and the cause once the budget is spent, and not at all without one', async () => {
    const { sink, calls } = flakySink(1000);
    const router = new OutputRouter(job, { out: sink }, recordingLogger().logger);
    router.route('0', { stream: MAIN_STREAM, record });
    await expect(router.flush('0')).rejects.toThrow(
      'writing 1 record(s) to sink "out" failed: broker unavailable',
    );
    expect(calls()).toBe(1);
    const budgeted = new OutputRouter(
      job,
      { out: flakySink(1000).sink },
      recordingLogger().logger,
      {
        budgetMs: 100,
        sleep: noWait,
      },
    );
    budgeted.route('0', { stream: MAIN_STREAM, record });
    await expect(budgeted.flush('0')).rejects.toThrow(
      /^writing 1 record\(s\) to sink "out" failed/,
    );
  });
});

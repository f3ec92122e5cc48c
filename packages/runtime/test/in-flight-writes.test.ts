/**
 * The sink buffer of the OutputRouter (InFlightWrites): a flush returns while its sink holds at most
 * the limit of records not yet written, waits beyond it, keeps each task's writes to
 * a sink in order, and `written` settles only once every flushed record is in its sink.
 */
import { OutputRouter } from '../src/runner/output-router';
import type { JobSpec, Logger, OutRecord, SinkConnector } from '../src';

const job: JobSpec = {
  name: 'J',
  sources: [{ name: 'in' }],
  outputs: { streams: { slow: 'slow', fast: 'fast' } },
};
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A sink whose writes wait until the test lets them go (`release`), or fail (`fail`). */
function heldSink(name: string) {
  const written: OutRecord[] = [];
  const held: Array<{ go: () => void; fail: (e: Error) => void }> = [];
  const sink: SinkConnector = {
    name,
    describe: () => name,
    open: async () => {},
    close: async () => {},
    write: (records) =>
      new Promise<void>((resolve, reject) =>
        held.push({
          go: () => {
            written.push(...records);
            resolve();
          },
          fail: reject,
        }),
      ),
  };
  return {
    sink,
    written,
    held: () => held.length,
    /** Lets the oldest held write go through. */
    release: async () => {
      held.shift()?.go();
      await settle();
    },
    fail: async (message: string) => {
      held.shift()?.fail(Object.assign(new Error(message), { retriable: false }));
      await settle();
    },
  };
}

function fastSink() {
  const written: OutRecord[] = [];
  const sink: SinkConnector = {
    name: 'fast',
    describe: () => 'fast',
    open: async () => {},
    close: async () => {},
    write: async (records) => void written.push(...records),
  };
  return { sink, written };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function out(n: number, stream: 'slow' | 'fast') {
  return Array.from({ length: n }, (_, i) => ({
    stream: { kind: 'stream' as const, name: stream },
    record: { key: null, value: i, headers: { 'stream-gen-id': `${stream}-${i}` }, timestamp: 0 },
  }));
}

/** Whether `promise` settled within a few turns of the event loop. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await settle();
  return done;
}

describe('the sink buffer', () => {
  it('lets flushes go on while a stalled sink holds up to the limit, then waits for it', async () => {
    const slow = heldSink('slow');
    const fast = fastSink();
    const router = new OutputRouter(job, { slow: slow.sink, fast: fast.sink }, quiet, {
      budgetMs: 0,
      bufferRecords: 25,
    });
    const flush = (n: number) => {
      for (const e of [...out(n, 'slow'), ...out(n, 'fast')]) router.route('0', e);
      return router.flush('0');
    };
    // two batches of 10 fit in the buffer: the flushes return, the fast sink has them
    expect(await settled(flush(10))).toBe(true);
    expect(await settled(flush(10))).toBe(true);
    expect(fast.written).toHaveLength(20);
    expect(router.pendingOf('slow')).toBe(20);
    // the third makes 30 > 25: back-pressure until the slow sink wrote enough
    const third = flush(10);
    expect(await settled(third)).toBe(false);
    expect(fast.written).toHaveLength(30);
    // one write at a time per task: the second waits for the first
    expect(slow.held()).toBe(1);
    await slow.release();
    expect(await settled(third)).toBe(true);
    expect(router.pendingOf('slow')).toBe(20);
    // what the checkpoint waits for: every flushed record in its sink, in order
    const written = router.written('0');
    expect(await settled(written)).toBe(false);
    await slow.release();
    expect(await settled(written)).toBe(false);
    await slow.release();
    expect(await settled(written)).toBe(true);
    expect(slow.written.map((r) => r.headers['stream-gen-id'])).toEqual(
      [0, 1, 2].flatMap(() => out(10, 'slow').map((e) => e.record.headers['stream-gen-id'])),
    );
    expect(router.pendingOf('slow')).toBe(0);
  });

  it('without a buffer, a flush waits for its writes', async () => {
    const slow = heldSink('slow');
    const router = new OutputRouter(job, { slow: slow.sink, fast: fastSink().sink }, quiet);
    for (const e of out(3, 'slow')) router.route('0', e);
    const flush = router.flush('0');
    expect(await settled(flush)).toBe(false);
    await slow.release();
    expect(await settled(flush)).toBe(true);
    expect(slow.written).toHaveLength(3);
  });

  it('keeps tasks apart: one task waits for its own writes, not for those of another', async () => {
    const slow = heldSink('slow');
    const router = new OutputRouter(job, { slow: slow.sink, fast: fastSink().sink }, quiet, {
      budgetMs: 0,
      bufferRecords: 100,
    });
    for (const e of out(5, 'slow')) router.route('a', e);
    await router.flush('a');
    for (const e of out(5, 'slow')) router.route('b', e);
    await router.flush('b');
    // both writes are in flight at once (per task in order, tasks side by side)
    expect(slow.held()).toBe(2);
    expect(await settled(router.written('c'))).toBe(true);
    const a = router.written('a');
    const b = router.written('b');
    await slow.release();
    expect(await settled(a)).toBe(true);
    expect(await settled(b)).toBe(false);
    await slow.release();
    expect(await settled(b)).toBe(true);
  });

  it('fails every later flush and checkpoint once a buffered write failed for good', async () => {
    const slow = heldSink('slow');
    const router = new OutputRouter(job, { slow: slow.sink, fast: fastSink().sink }, quiet, {
      budgetMs: 0,
      bufferRecords: 100,
    });
    for (const e of out(5, 'slow')) router.route('0', e);
    await router.flush('0');
    const written = router.written('0');
    await slow.fail('record too large');
    await expect(written).rejects.toThrow(
      'writing 5 record(s) to sink "slow" failed: record too large',
    );
    await expect(router.flush('0')).rejects.toThrow('record too large');
    for (const e of out(1, 'fast')) router.route('0', e);
    await expect(router.flush('0')).rejects.toThrow('record too large');
    await expect(router.written('0')).rejects.toThrow('record too large');
  });

  it('fails a flush waiting for room when the write it waits for fails', async () => {
    const slow = heldSink('slow');
    const router = new OutputRouter(job, { slow: slow.sink, fast: fastSink().sink }, quiet, {
      budgetMs: 0,
      bufferRecords: 2,
    });
    for (const e of out(5, 'slow')) router.route('0', e);
    const waiting = router.flush('0');
    expect(await settled(waiting)).toBe(false);
    await slow.fail('broker gone');
    await expect(waiting).rejects.toThrow('broker gone');
  });

  it('leaves no unhandled rejection when a checkpoint fails before awaiting its writes', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const slow = heldSink('slow');
      const router = new OutputRouter(job, { slow: slow.sink, fast: fastSink().sink }, quiet, {
        budgetMs: 0,
        bufferRecords: 100,
      });
      for (const e of out(1, 'slow')) router.route('0', e);
      await router.flush('0');
      await slow.fail('broker gone');
      // a checkpoint takes it, then fails on something else before awaiting it
      void router.written('0');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('closes its sinks once the writes on their way are done', async () => {
    const slow = heldSink('slow');
    let closed = false;
    const sink = { ...slow.sink, close: async () => void (closed = true) };
    const router = new OutputRouter(job, { slow: sink, fast: fastSink().sink }, quiet, {
      budgetMs: 0,
      bufferRecords: 100,
    });
    for (const e of out(3, 'slow')) router.route('0', e);
    await router.flush('0');
    const closing = router.close();
    expect(await settled(closing)).toBe(false);
    expect(closed).toBe(false);
    await slow.release();
    await closing;
    expect(closed).toBe(true);
    expect(slow.written).toHaveLength(3);
  });
});

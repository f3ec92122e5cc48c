import {
  assignWindows,
  HEADER_ID,
  type JobSpec,
  type WindowAggregate,
  type WindowBounds,
  type WindowProcess,
  type WindowSpec,
} from '../src';
import { JobHarness } from '../src/testing';
import { seededRandom } from '../src/testing/seeded-random';

/** Integers below n and in-place shuffles from one seed. */
function random(seed: number) {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };
  return { int, shuffle };
}

interface Ev {
  k: string;
  ts: number;
  n?: number;
  boom?: boolean;
}

interface Count {
  key: string;
  start: number;
  end: number;
  count: number;
  sum: number;
}

/** Counts and sums a window's elements; throws on `boom` (a failed call must leave no trace). */
class CountSum implements WindowAggregate<Ev, { count: number; sum: number }, Count> {
  createAccumulator() {
    return { count: 0, sum: 0 };
  }
  add(e: Ev, acc: { count: number; sum: number }) {
    acc.count++; // in place: the operator hands it a copy
    acc.sum += e.n ?? 0;
    if (e.boom) throw new Error('boom');
    return acc;
  }
  merge(a: { count: number; sum: number }, b: { count: number; sum: number }) {
    return { count: a.count + b.count, sum: a.sum + b.sum };
  }
  result(acc: { count: number; sum: number }, w: WindowBounds): Count {
    return { key: w.key, start: w.start, end: w.end, count: acc.count, sum: acc.sum };
  }
}

/** A window job whose watermark the test moves (its bound is far beyond the test's event times). */
function windowJob(
  window: WindowSpec,
  create: () => unknown = () => new CountSum(),
  maxOutOfOrdernessMs = 1_000_000,
): JobSpec {
  return {
    name: 'Windows',
    sources: [
      {
        name: 'in',
        eventTime: { timestamp: (e: Ev) => e.ts, maxOutOfOrdernessMs },
        key: (e: Ev) => e.k,
      },
    ],
    operator: {
      kind: 'process',
      name: 'win',
      input: 'in',
      window,
      create: create as () => CountSum,
    },
    outputs: { main: 'out', sideOutputs: { late: 'late' }, deadLetters: 'dlq' },
  };
}

const byWindow = (a: Count, b: Count) => a.key.localeCompare(b.key) || a.start - b.start;

describe('assignWindows', () => {
  it('tumbling windows start on the grid of size (and offset), also before the epoch', () => {
    const t = { kind: 'tumbling', sizeMs: 10 } as const;
    expect(assignWindows(t, 0)).toEqual([{ start: 0, end: 10 }]);
    expect(assignWindows(t, 19)).toEqual([{ start: 10, end: 20 }]);
    expect(assignWindows(t, -1)).toEqual([{ start: -10, end: 0 }]);
    expect(assignWindows({ ...t, offsetMs: 3 }, 2)).toEqual([{ start: -7, end: 3 }]);
  });

  it('sliding windows: size / slide of them, latest first', () => {
    const s = { kind: 'sliding', sizeMs: 10, slideMs: 2 } as const;
    expect(assignWindows(s, 7).map((w) => w.start)).toEqual([6, 4, 2, 0, -2]);
    expect(assignWindows({ kind: 'sliding', sizeMs: 10, slideMs: 4 }, 9)).toEqual([
      { start: 8, end: 18 },
      { start: 4, end: 14 },
      { start: 0, end: 10 },
    ]);
  });
});

describe('window stage (embedded task)', () => {
  it('fires a tumbling window when the watermark passes end - 1, at that event time, named after the window', async () => {
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } }),
    });
    await h.push('in', { k: 'a', ts: 1, n: 1 }, { k: 'a', ts: 9, n: 2 }, { k: 'b', ts: 5, n: 5 });
    await h.advanceWatermark(8);
    expect(h.output()).toEqual([]);
    await h.advanceWatermark(9);
    expect(h.output<Count>().sort(byWindow)).toEqual([
      { key: 'a', start: 0, end: 10, count: 2, sum: 3 },
      { key: 'b', start: 0, end: 10, count: 1, sum: 5 },
    ]);
    const records = h.records('main');
    expect(records.map((r) => r.timestamp)).toEqual([9, 9]);
    expect(records.map((r) => r.headers[HEADER_ID]).sort()).toEqual([
      'Windows/0/window@0-10:a#0',
      'Windows/0/window@0-10:b#0',
    ]);
    // fired without allowed lateness: nothing of the window is left
    expect(await h.state('windows', 'a')).toBeUndefined();
    expect(h.pendingTimers().event).toEqual([]);
  });

  it('sliding windows over shuffled input equal a count by brute force', async () => {
    const rnd = random(7);
    const events: Ev[] = [];
    for (let i = 0; i < 600; i++) {
      events.push({ k: `k${rnd.int(5)}`, ts: i * 7 + rnd.int(3), n: rnd.int(10) });
    }
    // disorder within the bound of 50 ms: shuffled in blocks
    const shuffled: Ev[] = [];
    for (let i = 0; i < events.length; i += 6)
      shuffled.push(...rnd.shuffle(events.slice(i, i + 6)));
    const job = windowJob(
      { assigner: { kind: 'sliding', sizeMs: 100, slideMs: 20 } },
      undefined,
      50,
    );
    const h = await JobHarness.create({ job });
    for (let i = 0; i < shuffled.length; i += 25) await h.push('in', ...shuffled.slice(i, i + 25));
    await h.endOfInput();
    expect(h.sideOutput('late')).toEqual([]);
    const expected: Count[] = [];
    const keys = [...new Set(events.map((e) => e.k))];
    const maxTs = Math.max(...events.map((e) => e.ts));
    for (const key of keys) {
      for (let start = -80; start <= maxTs; start += 20) {
        const inside = events.filter((e) => e.k === key && e.ts >= start && e.ts < start + 100);
        if (inside.length === 0) continue;
        const sum = inside.reduce((s, e) => s + (e.n ?? 0), 0);
        expected.push({ key, start, end: start + 100, count: inside.length, sum });
      }
    }
    expect(h.output<Count>().sort(byWindow)).toEqual(expected.sort(byWindow));
  });

  it('merges session windows, also across out-of-order arrivals; elements exactly a gap apart stay apart', async () => {
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'session', gapMs: 10 } }),
    });
    // a: 0 and 15 are two sessions until 7 bridges them; b: 0 and 10 are a gap apart
    await h.push('in', { k: 'a', ts: 0, n: 1 }, { k: 'a', ts: 15, n: 2 }, { k: 'b', ts: 0 });
    await h.push('in', { k: 'b', ts: 10 });
    expect(await h.state('windows', 'a')).toEqual([
      { start: 0, end: 10, acc: { count: 1, sum: 1 } },
      { start: 15, end: 25, acc: { count: 1, sum: 2 } },
    ]);
    await h.push('in', { k: 'a', ts: 7, n: 4 });
    // one timer for the merged session: those of the two it merged are gone
    const timersOf = (key: string) =>
      h
        .pendingTimers()
        .event.filter((t) => t.key === key)
        .map((t) => t.timestamp);
    expect(timersOf('a')).toEqual([24]);
    expect(timersOf('b')).toEqual([9, 19]);
    await h.endOfInput();
    expect(h.output<Count>().sort(byWindow)).toEqual([
      { key: 'a', start: 0, end: 25, count: 3, sum: 7 },
      { key: 'b', start: 0, end: 10, count: 1, sum: 0 },
      { key: 'b', start: 10, end: 20, count: 1, sum: 0 },
    ]);
  });

  it('re-fires with the same id within allowed lateness, sends what is beyond it to late, then clears the window', async () => {
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 }, allowedLatenessMs: 5 }),
    });
    await h.push('in', { k: 'a', ts: 3, n: 1 });
    await h.advanceWatermark(9);
    expect(h.output<Count>().map((c) => c.count)).toEqual([1]);
    // behind the watermark but within the window's lateness: added, fired again at once
    await h.push('in', { k: 'a', ts: 4, n: 1 });
    expect(h.output<Count>().map((c) => c.count)).toEqual([1, 2]);
    const ids = h.records('main').map((r) => r.headers[HEADER_ID]);
    expect(ids[1]).toBe(ids[0]);
    expect(h.records('main').map((r) => r.timestamp)).toEqual([9, 9]);
    expect(await h.state('windows', 'a')).toBeDefined();
    await h.advanceWatermark(14); // end - 1 + lateness: cleared
    expect(await h.state('windows', 'a')).toBeUndefined();
    await h.push('in', { k: 'a', ts: 5, n: 1 });
    expect(h.sideOutput<Ev>('late')).toEqual([{ k: 'a', ts: 5, n: 1 }]);
    expect(h.output()).toHaveLength(2);
  });

  it('takes an element behind the watermark whose window has not fired yet (the window judges lateness)', async () => {
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } }),
    });
    await h.push('in', { k: 'a', ts: 8 });
    await h.advanceWatermark(7);
    await h.push('in', { k: 'a', ts: 2 }); // behind the watermark, its window [0, 10) still open
    await h.advanceWatermark(9);
    expect(h.output<Count>().map((c) => c.count)).toEqual([2]);
    expect(h.sideOutput('late')).toEqual([]);
    expect(h.metrics.late).toBe(0);
  });

  it('a full-window function gets the elements and bounds of the window', async () => {
    class Pages implements WindowProcess<Ev, { key: string; ts: number[]; start: number }> {
      *process(elements: readonly Ev[], w: WindowBounds) {
        yield { key: w.key, ts: elements.map((e) => e.ts).sort((x, y) => x - y), start: w.start };
        yield { key: w.key, ts: [], start: w.end };
      }
    }
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'session', gapMs: 5 } }, () => new Pages()),
    });
    await h.push(
      'in',
      { k: 'a', ts: 10 },
      { k: 'a', ts: 1 },
      { k: 'a', ts: 4 },
      { k: 'a', ts: 30 },
    );
    await h.push('in', { k: 'a', ts: 7 });
    await h.endOfInput();
    expect(h.output()).toEqual([
      { key: 'a', ts: [1, 4, 7, 10], start: 1 },
      { key: 'a', ts: [], start: 15 },
      { key: 'a', ts: [30], start: 30 },
      { key: 'a', ts: [], start: 35 },
    ]);
    expect(h.records('main').map((r) => r.headers[HEADER_ID])).toEqual([
      'Windows/0/window@1-15:a#0',
      'Windows/0/window@1-15:a#1',
      'Windows/0/window@30-35:a#0',
      'Windows/0/window@30-35:a#1',
    ]);
    expect(await h.state('window-elements', 'a')).toBeUndefined();
  });

  it('processing-time windows fire by the clock', async () => {
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 1000 }, time: 'processing' }),
      processingTime: 10_000,
    });
    await h.push('in', { k: 'a', ts: 1 }, { k: 'a', ts: 2 });
    await h.advanceWatermark(1_000_000);
    expect(h.output()).toEqual([]);
    // behind the event-time watermark: a processing-time window takes it all the same
    await h.push('in', { k: 'a', ts: 3 });
    // at end - 1 an element of that millisecond may still come: it fires at end
    await h.advanceProcessingTime(999);
    await h.push('in', { k: 'a', ts: 4 });
    expect(h.output()).toEqual([]);
    await h.advanceProcessingTime(1);
    await h.push('in', { k: 'a', ts: 5 }); // the next window's
    expect(h.output<Count>()).toEqual([{ key: 'a', start: 10_000, end: 11_000, count: 4, sum: 0 }]);
    expect(h.records('main').map((r) => r.timestamp)).toEqual([10_999]);
    expect(h.sideOutput('late')).toEqual([]);
  });

  it('counts what it sends to late as late', async () => {
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } }),
    });
    await h.advanceWatermark(50);
    await h.push('in', { k: 'a', ts: 3 });
    expect(h.sideOutput('late')).toHaveLength(1);
    expect(h.metrics.late).toBe(1);
  });

  it('hands result a copy: what it changes stays out of state', async () => {
    class Marking extends CountSum {
      override result(acc: { count: number; sum: number }, w: WindowBounds): Count {
        acc.count += 100;
        return super.result(acc, w);
      }
    }
    const h = await JobHarness.create({
      job: windowJob(
        { assigner: { kind: 'tumbling', sizeMs: 10 }, allowedLatenessMs: 20 },
        () => new Marking(),
      ),
    });
    await h.push('in', { k: 'a', ts: 1 });
    await h.advanceWatermark(15);
    await h.push('in', { k: 'a', ts: 2 }); // fires again: 2 counted, not 102
    expect(h.output<Count>().map((c) => c.count)).toEqual([101, 102]);
  });

  it('keeps an accumulator as JSON: one JSON cannot hold fails at once, not only after a restore', async () => {
    class Users implements WindowAggregate<Ev, Set<string>, number> {
      createAccumulator() {
        return new Set<string>();
      }
      add(e: Ev, users: Set<string>) {
        return users.add(e.k);
      }
      result(users: Set<string>) {
        return users.size;
      }
    }
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } }, () => new Users()),
    });
    await h.push('in', { k: 'a', ts: 1 }, { k: 'a', ts: 2 });
    expect(h.deadLetters().map((d) => d.reason)).toEqual([
      expect.stringContaining('add is not a function'),
    ]);
  });

  it('refuses a window function that returns a promise, and tells an aggregate by createAccumulator', async () => {
    class Later extends CountSum {
      // @ts-expect-error -- a promise where the output belongs
      override async result(acc: { count: number; sum: number }, w: WindowBounds) {
        return super.result(acc, w);
      }
    }
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } }, () => new Later()),
    });
    await h.push('in', { k: 'a', ts: 1 });
    await h.advanceWatermark(9);
    expect(h.output()).toEqual([]);
    expect(h.deadLetters().map((d) => d.reason)).toEqual([
      expect.stringContaining('result returned a promise; window functions are synchronous'),
    ]);
    // a full-window function with a helper named add is still a full-window function
    class Listing implements WindowProcess<Ev, number> {
      add(a: number, b: number) {
        return a + b;
      }
      process(elements: readonly Ev[]) {
        return [elements.reduce((n) => this.add(n, 1), 0)];
      }
    }
    const p = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } }, () => new Listing()),
    });
    await p.push('in', { k: 'a', ts: 1 }, { k: 'a', ts: 2 });
    await p.advanceWatermark(9);
    expect(p.output()).toEqual([2]);
  });

  it('a call that throws leaves the window as it was (the accumulator is changed on a copy)', async () => {
    const h = await JobHarness.create({
      job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } }),
    });
    await h.push(
      'in',
      { k: 'a', ts: 1, n: 1 },
      { k: 'a', ts: 2, n: 100, boom: true },
      { k: 'a', ts: 3, n: 2 },
    );
    await h.advanceWatermark(9);
    expect(h.output<Count>()).toEqual([{ key: 'a', start: 0, end: 10, count: 2, sum: 3 }]);
    expect(h.deadLetters().map((d) => d.reason)).toEqual([expect.stringContaining('boom')]);
  });

  it('window state and timers survive a crash: outputs equal a run without it, duplicates identical', async () => {
    const job = windowJob({
      assigner: { kind: 'sliding', sizeMs: 10, slideMs: 5 },
      allowedLatenessMs: 3,
    });
    const records = (h: JobHarness) =>
      h.records('main').map((r) => [r.headers[HEADER_ID], JSON.stringify(r.value)] as const);
    const run = async (crash: boolean) => {
      const written: Array<readonly [string, string]> = [];
      let h = await JobHarness.create({ job });
      await h.push('in', { k: 'a', ts: 1, n: 1 }, { k: 'b', ts: 6, n: 2 });
      await h.advanceWatermark(4);
      await h.checkpoint();
      if (crash) {
        await h.push('in', { k: 'a', ts: 7, n: 5 });
        await h.advanceWatermark(9); // fires [0, 10): an output the crash makes it write twice
        written.push(...records(h));
        h = await h.restart();
        await h.push('in', { k: 'a', ts: 7, n: 5 });
        await h.advanceWatermark(9);
      } else {
        await h.push('in', { k: 'a', ts: 7, n: 5 });
        await h.advanceWatermark(9);
      }
      await h.push('in', { k: 'a', ts: 8, n: 1 }); // within the lateness of [0, 10): fires again
      await h.advanceWatermark(12);
      await h.push('in', { k: 'a', ts: 2, n: 1 }); // beyond it
      await h.endOfInput();
      written.push(...records(h));
      return { written, late: h.sideOutput('late') };
    };
    const clean = await run(false);
    const crashed = await run(true);
    expect(crashed.written.length).toBeGreaterThan(clean.written.length);
    const last = (w: ReadonlyArray<readonly [string, string]>) => new Map(w);
    expect(last(crashed.written)).toEqual(last(clean.written));
    // a re-fire repeats its id with the new content; a replayed firing repeats both
    for (const [id, value] of crashed.written) {
      const seen = clean.written.filter(([i]) => i === id).map(([, v]) => v);
      expect(seen).toContain(value);
    }
    expect(crashed.late).toEqual([{ k: 'a', ts: 2, n: 1 }]);
    expect(clean.late).toEqual(crashed.late);
  });

  it('refuses a window that cannot work, naming the operator', async () => {
    await expect(
      JobHarness.create({
        job: windowJob({ assigner: { kind: 'sliding', sizeMs: 10, slideMs: 20 } }),
      }),
    ).rejects.toThrow(/operator "win": sliding window slide \(20 ms\) must not exceed its size/);
    await expect(
      JobHarness.create({
        job: windowJob({
          assigner: { kind: 'tumbling', sizeMs: 10 },
          time: 'processing',
          allowedLatenessMs: 5,
        }),
      }),
    ).rejects.toThrow(/processing-time windows .* no allowed lateness/);
    class NoMerge implements WindowAggregate<Ev, number, number> {
      createAccumulator() {
        return 0;
      }
      add(_e: Ev, n: number) {
        return n + 1;
      }
      result(n: number) {
        return n;
      }
    }
    await expect(
      JobHarness.create({
        job: windowJob({ assigner: { kind: 'session', gapMs: 10 } }, () => new NoMerge()),
      }),
    ).rejects.toThrow(/session windows merge, so the aggregate needs merge/);
    // a keyed process function where the window function belongs, and the other way round
    const processFn = () => ({ processElement: () => undefined });
    await expect(
      JobHarness.create({
        job: windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } }, processFn),
      }),
    ).rejects.toThrow(/operator "win" has a window, so its create\(\) gives a window function/);
    const noWindow = windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } });
    await expect(
      JobHarness.create({
        job: {
          ...noWindow,
          operator: { ...noWindow.operator!, window: undefined } as JobSpec['operator'],
        },
      }),
    ).rejects.toThrow(
      /create\(\) gave no processElement; a window function needs the stage's window/,
    );
  });
});

describe('window stages after the operator', () => {
  /** Sums the counts of the windows before it. */
  class SumCounts implements WindowAggregate<
    Count,
    number,
    { key: string; start: number; sum: number }
  > {
    createAccumulator() {
      return 0;
    }
    add(c: Count, n: number) {
      return n + c.count;
    }
    merge(a: number, b: number) {
      return a + b;
    }
    result(n: number, w: WindowBounds) {
      return { key: w.key, start: w.start, sum: n };
    }
  }

  it('a window stage on the same key, fused, takes the windows before it on time and names its outputs after itself', async () => {
    const base = windowJob({ assigner: { kind: 'tumbling', sizeMs: 10 } });
    const job: JobSpec = {
      ...base,
      operator: { ...(base.operator as object), output: 'counts' } as JobSpec['operator'],
      keyedStages: [
        {
          kind: 'process',
          id: 'sum',
          input: 'counts',
          sameKey: true,
          window: { assigner: { kind: 'tumbling', sizeMs: 30 } },
          create: () => new SumCounts(),
        },
      ],
    };
    const h = await JobHarness.create({ job });
    const events = Array.from({ length: 60 }, (_, i) => ({ k: i % 2 ? 'a' : 'b', ts: i }));
    await h.push('in', ...events);
    await h.endOfInput();
    expect(h.sideOutput('late')).toEqual([]);
    expect(h.output()).toEqual(
      expect.arrayContaining([
        { key: 'a', start: 0, sum: 15 },
        { key: 'b', start: 0, sum: 15 },
        { key: 'a', start: 30, sum: 15 },
        { key: 'b', start: 30, sum: 15 },
      ]),
    );
    expect(h.output()).toHaveLength(4);
    expect(h.records('main').map((r) => r.headers[HEADER_ID])).toContain(
      'Windows/0/sum:window@30-60:a#0',
    );
    expect(await h.state('sum.windows', 'a')).toBeUndefined();
  });
});

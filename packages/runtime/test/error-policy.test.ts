import {
  checkJob,
  EmbeddedLog,
  JobRunner,
  MemoryStateBackend,
  embeddedBackends,
  silentLogger,
  type ElementContext,
  type JobSpec,
  type ListState,
  type MapState,
  type RuntimeContext,
  type Timer,
  type TimerContext,
  type ValueState,
  type AsyncLimits,
} from '../src';
import type { ErrorPolicy } from '../src/job/job-spec';
import { UserFunctionError } from '../src/task/user-function.error';
import { JobHarness } from '../src/testing';

const ALWAYS = 1_000;

interface Op {
  k: string;
  ts: number;
  /** How many attempts throw before one succeeds. */
  failures?: number;
  /** Throw in the timer this element registers instead. */
  failTimer?: boolean;
}

/**
 * Per key: counts elements, keeps their timestamps in a list and a map, registers a
 * timer at ts + 1000 and deletes the one of the previous element, and emits; then
 * throws while it has failures left, after all those changes.
 */
class Recorder {
  static attempts = new Map<string, number>();
  private count!: ValueState<number>;
  private seen!: ListState<number>;
  private byTs!: MapState<string>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState('count');
    this.seen = ctx.listState('seen');
    this.byTs = ctx.mapState('byTs');
  }
  processElement(op: Op, ctx: ElementContext<string>) {
    this.count.update((this.count.value() ?? 0) + 1);
    const previous = this.seen.get().at(-1);
    this.seen.add(op.ts);
    this.byTs.put(String(op.ts), op.failTimer ? 'fail' : 'ok');
    this.byTs.remove(String(previous));
    if (previous !== undefined) ctx.timers.deleteEventTimeTimer(previous + 1000);
    ctx.timers.registerEventTimeTimer(op.ts + 1000);
    ctx.emit(`${op.k}@${op.ts}`);
    this.maybeThrow(`${op.k}@${op.ts}`, op.failures ?? 0);
  }
  onTimer(timestamp: number, ctx: TimerContext<string>) {
    const failing = this.byTs.get(String(timestamp - 1000)) === 'fail';
    this.count.update(-1);
    ctx.timers.registerProcessingTimeTimer(ctx.currentProcessingTime() + 60_000);
    ctx.emit(`timer ${ctx.key}@${timestamp}`);
    this.maybeThrow(`timer ${ctx.key}@${timestamp}`, failing ? ALWAYS : 0);
  }
  private maybeThrow(call: string, failures: number) {
    const attempt = (Recorder.attempts.get(call) ?? 0) + 1;
    Recorder.attempts.set(call, attempt);
    if (attempt <= failures) throw new Error(`boom ${attempt}`);
  }
}

function recorderJob(onError?: ErrorPolicy): JobSpec {
  return {
    name: 'Recorder',
    sources: [
      {
        name: 'ops',
        eventTime: { timestamp: (o: Op) => o.ts, maxOutOfOrdernessMs: 0 },
        key: (o: Op) => o.k,
      },
    ],
    operator: { kind: 'process', name: 'rec', input: 'ops', create: () => new Recorder() },
    outputs: { main: 'out', deadLetters: 'dlq' },
    onError,
  };
}

/** State and pending timers of key `a`, copied, to compare before and after a call. */
async function trace(h: JobHarness) {
  const ofA = (timers: readonly Timer[]) => timers.filter((t) => t.key === 'a');
  const { event, processing } = h.pendingTimers();
  return structuredClone({
    count: await h.state('count', 'a'),
    seen: await h.state('seen', 'a'),
    byTs: await h.state('byTs', 'a'),
    timers: { event: ofA(event), processing: ofA(processing) },
  });
}

beforeEach(() => Recorder.attempts.clear());

describe('error policy of user functions', () => {
  it('retries a failing call; failed attempts leave no state, timer or output behind', async () => {
    const h = await JobHarness.create({ job: recorderJob({ retries: 2 }) });
    await h.push('ops', { k: 'a', ts: 10 }, { k: 'a', ts: 20, failures: 2 });
    expect(Recorder.attempts.get('a@20')).toBe(3);
    expect(await trace(h)).toEqual({
      count: 2,
      seen: [10, 20],
      byTs: { '20': 'ok' },
      timers: { event: [{ key: 'a', timestamp: 1020 }], processing: [] },
    });
    expect(h.output()).toEqual(['a@10', 'a@20']);
    // the retry's output has the id the first attempt's would have had
    expect(h.records('main')[1].headers['stream-gen-id']).toBe('Recorder/0/ops@1.0#0');
    expect(h.deadLetters()).toEqual([]);
  });

  it.each<[string, ErrorPolicy | undefined, string]>([
    ['by default (no retry)', undefined, 'operator "rec" threw: boom 1'],
    [
      'after the last retry',
      { retries: 2, then: 'dead-letter' },
      'operator "rec" threw 3 times: boom 3',
    ],
  ])(
    '%s sends the record to the dead letters, undoing what the call did, and goes on',
    async (_, policy, reason) => {
      const h = await JobHarness.create({ job: recorderJob(policy) });
      await h.push('ops', { k: 'a', ts: 10 });
      const before = await trace(h);
      await h.push('ops', { k: 'a', ts: 20, failures: ALWAYS }, { k: 'b', ts: 30 });
      expect(await trace(h)).toEqual(before);
      expect(h.output()).toEqual(['a@10', 'b@30']);
      expect(h.deadLetters()).toEqual([
        {
          reason,
          source: 'ops',
          partition: 0,
          offset: 1,
          value: { k: 'a', ts: 20, failures: ALWAYS },
        },
      ]);
      expect(h.metrics.mainOut).toBe(2);
    },
  );

  it('undoes in-place changes to the fields of a value read from state (not deeper ones)', async () => {
    interface Totals {
      sum: number;
      nested: { n: number };
    }
    let totals!: ValueState<Totals>;
    const job: JobSpec = {
      ...recorderJob(),
      operator: {
        kind: 'process',
        name: 'sum',
        input: 'ops',
        create: () => ({
          open: (ctx: RuntimeContext) => void (totals = ctx.valueState<Totals>('totals')),
          processElement(op: Op) {
            const t = totals.value() ?? { sum: 0, nested: { n: 0 } };
            t.sum += op.ts;
            t.nested.n += 1;
            totals.update(t);
            if (op.failures) throw new Error('after the change');
          },
        }),
      },
    };
    const h = await JobHarness.create({ job });
    await h.push('ops', { k: 'a', ts: 10 }, { k: 'a', ts: 20, failures: ALWAYS });
    expect(await h.state('totals', 'a')).toEqual({ sum: 10, nested: { n: 2 } });
  });

  it('undoes a failing timer call too; after its retries the timer goes to the dead letters', async () => {
    const h = await JobHarness.create({ job: recorderJob({ retries: 1 }) });
    await h.push('ops', { k: 'a', ts: 10, failTimer: true });
    const before = await trace(h);
    await h.advanceWatermark(1010);
    expect(Recorder.attempts.get('timer a@1010')).toBe(2);
    expect(await trace(h)).toEqual({ ...before, timers: { event: [], processing: [] } });
    expect(h.output()).toEqual(['a@10']);
    expect(h.deadLetters()).toEqual([
      {
        reason: 'operator "rec" threw in onTimer 2 times: boom 2',
        source: 'event-timer',
        partition: 0,
        offset: -1,
        value: { key: 'a', timestamp: 1010 },
      },
    ]);
  });

  it("with then: 'fail', fails with an error naming the operator, the record and the cause", async () => {
    const h = await JobHarness.create({ job: recorderJob({ retries: 1, then: 'fail' }) });
    const failing = h.push('ops', { k: 'a', ts: 10 }, { k: 'a', ts: 20, failures: ALWAYS });
    const error = (await failing.catch((e: unknown) => e)) as UserFunctionError;
    expect(error).toBeInstanceOf(UserFunctionError);
    expect(error.message).toBe(
      `job Recorder failed (onError.then is 'fail'): operator "rec" threw 2 times: boom 2; at source "ops" partition 0 offset 1`,
    );
    expect((error.cause as Error).message).toBe('boom 2');
    expect(h.output()).toEqual(['a@10']);
    expect(h.deadLetters()).toEqual([]);
  });

  it("with then: 'fail', a failing timer names the timer", async () => {
    const h = await JobHarness.create({ job: recorderJob({ then: 'fail' }) });
    await h.push('ops', { k: 'a', ts: 10, failTimer: true });
    await expect(h.advanceWatermark(2000)).rejects.toThrow(
      `job Recorder failed (onError.then is 'fail'): operator "rec" threw in onTimer: boom 1; at event-time timer 1010 of key "a" in task 0`,
    );
  });

  it('retries stateless steps, then dead-letters or fails the same way', async () => {
    let calls = 0;
    const flaky = (n: number) => {
      calls++;
      if (n < 0 || calls % 2 === 1) throw new Error(`flaky ${calls}`);
      return n * 2;
    };
    const job = (onError: ErrorPolicy): JobSpec => ({
      name: 'Steps',
      sources: [{ name: 'in', steps: [{ kind: 'map', name: 'double', fn: flaky }] }],
      outputs: { main: 'out', deadLetters: 'dlq' },
      onError,
    });
    const h = await JobHarness.create({ job: job({ retries: 2 }) });
    await h.push('in', 1, -1, 2);
    expect(h.output()).toEqual([2, 4]);
    expect(h.deadLetters().map((d) => [d.offset, d.reason])).toEqual([
      [1, 'map step "double" threw 3 times: flaky 5'],
    ]);
    const failing = await JobHarness.create({ job: job({ then: 'fail' }) });
    await expect(failing.push('in', -1)).rejects.toThrow(
      `map step "double" threw: flaky 7; at source "in" partition 0 offset 0`,
    );
  });

  it("fails a running job: JobRunner.run() rejects, and the failed record's batch is not checkpointed", async () => {
    const backends = embeddedBackends(new EmbeddedLog(1), new MemoryStateBackend());
    const ops: Op[] = [
      { k: 'a', ts: 10 },
      { k: 'a', ts: 20, failures: ALWAYS },
    ];
    backends.log.append(
      'ops',
      ops.map((o) => ({ key: o.k, value: JSON.stringify(o) })),
    );
    backends.log.seal('ops');
    const runner = new JobRunner({
      job: recorderJob({ then: 'fail' }),
      sources: { ops: backends.source('ops') },
      sinks: { out: backends.sink('out'), dlq: backends.sink('dlq') },
      backend: backends.backend,
      logger: silentLogger,
    });
    await expect(runner.run()).rejects.toBeInstanceOf(UserFunctionError);
    expect(backends.log.committedOffset('stream-gen', 'ops', 0)).toBeUndefined();
  });

  it('refuses policies it cannot follow', () => {
    const bad = {
      ...recorderJob(),
      onError: { retries: -1, then: 'ignore' },
    } as unknown as JobSpec;
    expect(() => checkJob(bad)).toThrow(
      /onError.retries must be a whole number >= 0, got -1\n {2}- onError.then must be 'dead-letter' or 'fail', got "ignore"/,
    );
    const enrich = enrichJob({ concurrency: 1 }, async (v) => v, { retries: 1 });
    expect(() => checkJob(enrich)).toThrow(
      /onError.retries does not apply to enrichment "lookup": set the retries of its limits/,
    );
  });

  it("fails the job when an enrichment still fails after its own retries and then is 'fail'", async () => {
    const h = await JobHarness.create({
      job: enrichJob(
        { concurrency: 1, retries: 1, backoffMs: 1 },
        async () => {
          throw new Error('down');
        },
        { then: 'fail' },
      ),
    });
    await expect(h.push('in', { id: 1 })).rejects.toThrow(
      `job Enrich failed (onError.then is 'fail'): enrichment "lookup" failed after 2 attempts: down; at source "in" partition 0 offset 0`,
    );
    h.close();
  });
});

/** A job of one enrichment "lookup" of source "in". */
function enrichJob(
  limits: AsyncLimits,
  enrich: (value: unknown) => Promise<unknown>,
  onError: JobSpec['onError'],
): JobSpec {
  return {
    name: 'Enrich',
    sources: [{ name: 'in' }],
    operator: { kind: 'async', name: 'lookup', input: 'in', limits, create: () => ({ enrich }) },
    outputs: { main: 'out' },
    onError,
  };
}

import type { ElementContext, JobSpec, RuntimeContext, TimerContext, ValueState } from '../src';
import { JobHarness } from '../src/testing';
import { clickJob, type Click } from './fixtures';

interface Fired {
  key: string;
  at: number;
  domain: string;
}

/** Registers the timers listed in each element; records every firing; can chain a timer. */
class TimerProbe {
  private fired!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.fired = ctx.valueState<number>('fired');
  }
  processElement(
    value: { k: string; ts: number; event?: number[]; processing?: number[]; del?: number },
    ctx: ElementContext<Fired>,
  ) {
    for (const t of value.event ?? []) ctx.timers.registerEventTimeTimer(t);
    for (const t of value.processing ?? []) ctx.timers.registerProcessingTimeTimer(t);
    if (value.del !== undefined) ctx.timers.deleteEventTimeTimer(value.del);
  }
  onTimer(timestamp: number, ctx: TimerContext<Fired>) {
    this.fired.update((this.fired.value() ?? 0) + 1);
    ctx.emit({ key: ctx.key, at: timestamp, domain: ctx.timeDomain });
    // A chained timer that is already due fires in order within the same advance.
    if (ctx.key === 'chain' && timestamp === 100) ctx.timers.registerEventTimeTimer(150);
    if (ctx.key === 'again' && timestamp === 10) ctx.timers.registerEventTimeTimer(20);
    if (ctx.key === 'drop' && timestamp === 10) ctx.timers.deleteEventTimeTimer(20);
  }
}

const probeJob: JobSpec = {
  name: 'Timers',
  sources: [
    {
      name: 'in',
      eventTime: { timestamp: (e: { ts: number }) => e.ts, maxOutOfOrdernessMs: 0 },
      key: (e: { k: string }) => e.k,
    },
  ],
  operator: { kind: 'process', name: 'probe', input: 'in', create: () => new TimerProbe() },
  outputs: { main: 'out' },
};

describe('timers', () => {
  it('fire once per (key, timestamp), in timestamp order, ties by key', async () => {
    const h = await JobHarness.create({ job: probeJob });
    await h.push(
      'in',
      { k: 'b', ts: 1, event: [300, 100, 300] },
      { k: 'a', ts: 1, event: [300, 200] },
      { k: 'b', ts: 2, event: [100] },
    );
    expect(h.pendingTimers().event).toHaveLength(4);
    await h.advanceWatermark(300);
    expect(h.output<Fired>().map((f) => `${f.key}@${f.at}`)).toEqual([
      'b@100',
      'a@200',
      'a@300',
      'b@300',
    ]);
    await h.advanceWatermark(1000);
    expect(h.output()).toHaveLength(4);
    expect(await h.state('fired', 'b')).toBe(2);
  });

  it('fires a timer registered while firing, in order, when it is already due', async () => {
    const h = await JobHarness.create({ job: probeJob });
    await h.push('in', { k: 'chain', ts: 1, event: [100, 200] });
    await h.advanceWatermark(500);
    expect(h.output<Fired>().map((f) => f.at)).toEqual([100, 150, 200]);
  });

  it('a due timer registered again or deleted while an earlier one fires fires once, or not at all', async () => {
    const h = await JobHarness.create({ job: probeJob });
    await h.push(
      'in',
      { k: 'again', ts: 1, event: [10, 20] },
      { k: 'drop', ts: 1, event: [10, 20] },
    );
    await h.advanceWatermark(100);
    expect(h.output<Fired>().map((f) => `${f.key}@${f.at}`)).toEqual([
      'again@10',
      'drop@10',
      'again@20',
    ]);
  });

  it('a timer beyond the end of time fires at the end of the input', async () => {
    const h = await JobHarness.create({ job: probeJob });
    await h.push('in', { k: 'late', ts: 1, event: [Number.MAX_SAFE_INTEGER] });
    await h.endOfInput();
    expect(h.output<Fired>().map((f) => f.key)).toEqual(['late']);
  });

  it('deleted timers do not fire', async () => {
    const h = await JobHarness.create({ job: probeJob });
    await h.push('in', { k: 'a', ts: 1, event: [100, 200] });
    await h.push('in', { k: 'a', ts: 2, del: 100 });
    await h.advanceWatermark(1000);
    expect(h.output<Fired>().map((f) => f.at)).toEqual([200]);
  });

  it('processing-time timers fire when processing time passes them', async () => {
    const h = await JobHarness.create({ job: probeJob, processingTime: 1000 });
    await h.push('in', { k: 'a', ts: 1, processing: [1500, 1200, 1500] });
    await h.advanceProcessingTime(199);
    expect(h.output()).toEqual([]);
    await h.advanceProcessingTime(1);
    expect(h.output()).toEqual([{ key: 'a', at: 1200, domain: 'processing' }]);
    await h.advanceProcessingTime(1000);
    expect(h.output<Fired>().map((f) => f.at)).toEqual([1200, 1500]);
  });

  it('survive checkpoint and restore; timers registered after the checkpoint are lost with the crash', async () => {
    const h = await JobHarness.create({ job: clickJob({ bound: 0 }) });
    await h.push('clicks', { user: 'a', ts: 10 }, { user: 'b', ts: 20 });
    await h.checkpoint();
    await h.push('clicks', { user: 'c', ts: 30 });
    const restarted = await h.restart();
    expect(restarted.pendingTimers().event).toEqual([
      { key: 'a', timestamp: 1010 },
      { key: 'b', timestamp: 1020 },
    ]);
    expect(restarted.watermark).toBe(20);
    await restarted.advanceWatermark(5000);
    expect(restarted.output()).toEqual([
      { user: 'a', count: 1, at: 1010 },
      { user: 'b', count: 1, at: 1020 },
    ]);
  });

  it('a restored task equals an uninterrupted one', async () => {
    const clicks: Click[] = Array.from({ length: 50 }, (_, i) => ({
      user: `u${i % 7}`,
      ts: 100 * i,
    }));
    const straight = await JobHarness.create({ job: clickJob() });
    for (const c of clicks) await straight.push('clicks', c);
    await straight.endOfInput();

    const collected: unknown[] = [];
    let h = await JobHarness.create({ job: clickJob() });
    for (const [i, c] of clicks.entries()) {
      await h.push('clicks', c);
      if (i % 10 === 9) {
        await h.checkpoint();
        collected.push(...h.output());
        h = await h.restart();
      }
    }
    await h.endOfInput();
    collected.push(...h.output());
    expect(straight.output()).toHaveLength(50);
    expect(collected).toEqual(straight.output());
  });
});

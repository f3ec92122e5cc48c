import { JobHarness } from '../src/testing';
import type { ElementContext, JobSpec, RuntimeContext, TimerContext, ValueState } from '../src';

interface Op {
  k: string;
  ts: number;
  op: 'set' | 'set-then-throw' | 'read';
}

class TtlValue {
  private v!: ValueState<string>;
  open(ctx: RuntimeContext) {
    this.v = ctx.valueState('v', { ttlMs: 1000 });
  }
  processElement(o: Op, ctx: ElementContext<string | null>) {
    if (o.op === 'read') return ctx.emit(this.v.value() ?? null);
    this.v.update(`${o.op}@${o.ts}`);
    if (o.op === 'set-then-throw') throw new Error('boom');
  }
}

const keyed = (name: string, create: () => unknown, extra: Partial<JobSpec> = {}): JobSpec =>
  ({
    name,
    sources: [
      {
        name: 'ops',
        key: (o: Op) => o.k,
        eventTime: { timestamp: (o: Op) => o.ts, maxOutOfOrdernessMs: 1e9 },
      },
    ],
    operator: { kind: 'process', name: 'fn', input: 'ops', create },
    outputs: { main: 'out', deadLetters: 'dlq' },
    ...extra,
  }) as JobSpec;

it('undoing a failed call restores the TTL of the entry it touched, not a fresh one', async () => {
  const h = await JobHarness.create({ job: keyed('Ttl', () => new TtlValue()), processingTime: 0 });
  await h.push('ops', { k: 'a', ts: 1, op: 'set' }); // expires at 1000
  await h.advanceProcessingTime(900);
  await h.push('ops', { k: 'a', ts: 2, op: 'set-then-throw' }); // a dead letter, no trace
  expect(h.deadLetters()).toHaveLength(1);
  await h.advanceProcessingTime(200); // t = 1100
  await h.push('ops', { k: 'a', ts: 3, op: 'read' });
  expect(h.output()).toEqual([null]); // as in a run without the failed call: expired
});

it('a timer that fails the task leaves the timers due after it to fire after a restart', async () => {
  const fired: string[] = [];
  class FailingTimer {
    processElement(o: Op, ctx: ElementContext<string>) {
      ctx.timers.registerEventTimeTimer(o.ts);
    }
    onTimer(ts: number, ctx: TimerContext<string>) {
      fired.push(`${ctx.key}@${ts}`);
      if (ctx.key === 'a') throw new Error('boom');
    }
  }
  const h = await JobHarness.create({
    job: keyed('Orphan', () => new FailingTimer(), { onError: { then: 'fail' } }),
  });
  await h.push('ops', { k: 'a', ts: 10, op: 'set' }, { k: 'b', ts: 20, op: 'set' });
  await expect(h.advanceWatermark(30)).rejects.toThrow(/boom/);
  expect(h.pendingTimers().event).toEqual([{ key: 'b', timestamp: 20 }]);
  // the same task object goes on (as a harness user catching the error would)
  await h.advanceWatermark(100);
  expect(fired).toEqual(['a@10', 'b@20']);
  expect(h.pendingTimers().event).toEqual([]);
});

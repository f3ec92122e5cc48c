import type {
  ElementContext,
  JobSpec,
  KeyedCoProcessFunction,
  RuntimeContext,
  TimerContext,
  ValueState,
  ListState,
} from '../src';

export interface Click {
  user: string;
  ts: number;
}

/** Counts elements per key and emits the count when the watermark passes ts + 1000. */
export class CountThenFire {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState<number>('count');
  }
  processElement(value: Click, ctx: ElementContext<{ user: string; count: number; at: number }>) {
    this.count.update((this.count.value() ?? 0) + 1);
    ctx.timers.registerEventTimeTimer(value.ts + 1000);
  }
  onTimer(timestamp: number, ctx: TimerContext<{ user: string; count: number; at: number }>) {
    ctx.emit({ user: ctx.key, count: this.count.value() ?? 0, at: timestamp });
  }
}

export function clickJob(options: { bound?: number; idleTimeoutMs?: number } = {}): JobSpec {
  return {
    name: 'Clicks',
    sources: [
      {
        name: 'clicks',
        eventTime: {
          timestamp: (c: Click) => c.ts,
          maxOutOfOrdernessMs: options.bound ?? 100,
          idleTimeoutMs: options.idleTimeoutMs,
        },
        key: (c: Click) => c.user,
      },
    ],
    operator: {
      kind: 'process',
      name: 'count',
      input: 'clicks',
      create: () => new CountThenFire(),
    },
    outputs: { main: 'counts', sideOutputs: { late: 'late' } },
  };
}

export interface Left {
  k: string;
  ts: number;
}

/** Buffers left elements; emits them on each right element of the same key. */
export class BufferJoin implements KeyedCoProcessFunction<
  Left,
  Left,
  { k: string; lefts: number[]; right: number }
> {
  private lefts!: ListState<number>;
  open(ctx: RuntimeContext) {
    this.lefts = ctx.listState<number>('lefts');
  }
  processElement1(value: Left) {
    this.lefts.add(value.ts);
  }
  processElement2(value: Left, ctx: ElementContext<{ k: string; lefts: number[]; right: number }>) {
    ctx.emit({ k: value.k, lefts: [...this.lefts.get()], right: value.ts });
  }
}

export function coJob(options: { leftIdleMs?: number } = {}): JobSpec {
  const input = (name: string, idleTimeoutMs?: number) => ({
    name,
    eventTime: { timestamp: (e: Left) => e.ts, maxOutOfOrdernessMs: 0, idleTimeoutMs },
    key: (e: Left) => e.k,
  });
  return {
    name: 'CoJob',
    sources: [input('left', options.leftIdleMs), input('right')],
    operator: {
      kind: 'coProcess',
      name: 'join',
      inputs: ['left', 'right'],
      create: () => new BufferJoin(),
    },
    outputs: { main: 'out' },
  };
}

import type {
  ElementContext,
  JobSpec,
  ListState,
  MapState,
  RuntimeContext,
  ValueState,
} from '../src';
import { JobHarness } from '../src/testing';
import { MemoryStateBackend } from '../src';

interface Op {
  k: string;
  ts: number;
  op: 'set' | 'add' | 'put' | 'remove' | 'clear' | 'read' | 'late-declare';
  v?: number;
  field?: string;
}

class StateProbe {
  private value!: ValueState<number>;
  private list!: ListState<number>;
  private map!: MapState<number>;
  private session!: ValueState<string>;
  private ctxRef!: RuntimeContext;
  open(ctx: RuntimeContext) {
    this.ctxRef = ctx;
    this.value = ctx.valueState('value');
    this.list = ctx.listState('list');
    this.map = ctx.mapState('map');
    this.session = ctx.valueState('session', { ttlMs: 1000 });
  }
  processElement(e: Op, ctx: ElementContext<unknown>) {
    switch (e.op) {
      case 'set':
        this.value.update(e.v as number);
        this.session.update(`seen ${e.v}`);
        break;
      case 'add':
        this.list.add(e.v as number);
        break;
      case 'put':
        this.map.put(e.field as string, e.v as number);
        break;
      case 'remove':
        this.map.remove(e.field as string);
        break;
      case 'clear':
        this.value.clear();
        this.list.clear();
        this.map.clear();
        break;
      case 'late-declare':
        this.ctxRef.valueState('other');
        break;
      case 'read':
        ctx.emit({
          value: this.value.value(),
          list: this.list.get(),
          map: Object.fromEntries(this.map.entries()),
          session: this.session.value(),
        });
    }
  }
}

/** Stores a value JSON cannot hold. */
class BigIntState {
  private v!: ValueState<bigint>;
  open(ctx: RuntimeContext) {
    this.v = ctx.valueState('v');
  }
  processElement() {
    this.v.update(10n);
  }
}

const job: JobSpec = {
  name: 'State',
  sources: [
    {
      name: 'ops',
      eventTime: { timestamp: (e: Op) => e.ts, maxOutOfOrdernessMs: 1e9 },
      key: (e: Op) => e.k,
    },
  ],
  operator: { kind: 'process', name: 'probe', input: 'ops', create: () => new StateProbe() },
  outputs: { main: 'out', deadLetters: 'dlq' },
};

describe('keyed state', () => {
  it('keeps value, list and map state per key', async () => {
    const h = await JobHarness.create({ job });
    await h.push(
      'ops',
      { k: 'a', ts: 1, op: 'set', v: 1 },
      { k: 'a', ts: 1, op: 'add', v: 1 },
      { k: 'a', ts: 1, op: 'add', v: 2 },
      { k: 'a', ts: 1, op: 'put', field: 'x', v: 5 },
      { k: 'a', ts: 1, op: 'put', field: 'y', v: 6 },
      { k: 'a', ts: 1, op: 'remove', field: 'x' },
      { k: 'b', ts: 1, op: 'set', v: 9 },
      { k: 'a', ts: 1, op: 'read' },
      { k: 'b', ts: 1, op: 'read' },
    );
    expect(h.output()).toEqual([
      { value: 1, list: [1, 2], map: { y: 6 }, session: 'seen 1' },
      { value: 9, list: [], map: {}, session: 'seen 9' },
    ]);
    await h.push('ops', { k: 'a', ts: 1, op: 'clear' });
    expect(await h.state('value', 'a')).toBeUndefined();
    expect(await h.state('list', 'a')).toBeUndefined();
    expect(await h.state('map', 'a')).toBeUndefined();
  });

  it('expires entries after their TTL (processing time from the last write)', async () => {
    const h = await JobHarness.create({ job, processingTime: 10_000 });
    await h.push('ops', { k: 'a', ts: 1, op: 'set', v: 1 });
    await h.advanceProcessingTime(999);
    expect(await h.state('session', 'a')).toBe('seen 1');
    await h.push('ops', { k: 'a', ts: 1, op: 'set', v: 2 });
    await h.advanceProcessingTime(999);
    expect(await h.state('session', 'a')).toBe('seen 2');
    await h.advanceProcessingTime(1);
    expect(await h.state('session', 'a')).toBeUndefined();
    expect(await h.state('value', 'a')).toBe(2);
  });

  it('keeps TTL across checkpoint and restore', async () => {
    const h = await JobHarness.create({ job, processingTime: 0 });
    await h.push('ops', { k: 'a', ts: 1, op: 'set', v: 1 });
    await h.checkpoint();
    const r = await h.restart();
    expect(await r.state('session', 'a')).toBe('seen 1');
    await r.advanceProcessingTime(1000);
    expect(await r.state('session', 'a')).toBeUndefined();
  });

  it('reads the state of a whole batch in one round trip', async () => {
    const h = await JobHarness.create({ job });
    const batch = Array.from({ length: 200 }, (_, i) => ({
      k: `k${i % 50}`,
      ts: 1,
      op: 'add' as const,
      v: i,
    }));
    await h.push('ops', ...batch);
    expect(h.metrics.stateRoundTrips).toBe(1);
    await h.push('ops', ...batch);
    expect(h.metrics.stateRoundTrips).toBe(1);
    await h.push('ops', { k: 'new', ts: 1, op: 'add', v: 0 }, { k: 'k1', ts: 1, op: 'add', v: 0 });
    expect(h.metrics.stateRoundTrips).toBe(2);
  });

  it('buffers writes until the checkpoint: a crash before it loses them, after it keeps them', async () => {
    const backend = new MemoryStateBackend();
    const h = await JobHarness.create({ job, backend });
    await h.push('ops', { k: 'a', ts: 1, op: 'set', v: 1 });
    await h.checkpoint();
    await h.push('ops', { k: 'a', ts: 1, op: 'set', v: 2 });
    const crashed = await h.restart();
    expect(await crashed.state('value', 'a')).toBe(1);
    const list = await backend
      .openTask({ job: 'State', task: '0' })
      .then((t) => t.checkpoints.list());
    expect(list.map((c) => c.id)).toEqual([1]);
    expect(list[0].positions).toEqual({ ops: 1 });
  });

  it('keeps the last N checkpoints', async () => {
    const backend = new MemoryStateBackend({ retainCheckpoints: 3 });
    const h = await JobHarness.create({ job, backend });
    for (let i = 0; i < 5; i++) {
      await h.push('ops', { k: 'a', ts: 1, op: 'set', v: i });
      await h.checkpoint();
    }
    const stores = await backend.openTask({ job: 'State', task: '0' });
    expect((await stores.checkpoints.list()).map((c) => c.id)).toEqual([5, 4, 3]);
  });

  it('rejects state declared outside open() with a clear reason', async () => {
    const h = await JobHarness.create({ job });
    await h.push('ops', { k: 'a', ts: 1, op: 'late-declare' });
    expect(h.deadLetters()[0].reason).toMatch(/state "other" must be declared in open\(\)/);
  });

  it('fails the checkpoint, not silently, when state cannot be stored as JSON', async () => {
    const bad: JobSpec = {
      ...job,
      operator: {
        kind: 'process',
        name: 'bad',
        input: 'ops',
        create: () => new BigIntState(),
      },
    };
    const h = await JobHarness.create({ job: bad });
    await h.push('ops', { k: 'a', ts: 1, op: 'set' });
    await expect(h.checkpoint()).rejects.toThrow(/BigInt/);
  });
});

describe('memory backend fencing', () => {
  it('refuses a checkpoint from a task that restored an older one, like Redis', async () => {
    const backend = new MemoryStateBackend();
    const first = await JobHarness.create({ job, backend });
    const second = await JobHarness.create({ job, backend }); // took the task over before any checkpoint
    await first.push('ops', { k: 'a', ts: 1, op: 'set', v: 1 });
    await first.checkpoint();
    await second.push('ops', { k: 'a', ts: 1, op: 'set', v: 2 });
    await expect(second.checkpoint()).rejects.toThrow(
      'checkpoint 1 of task State/0 was refused: the latest checkpoint is 1, so the next must be 2',
    );
    expect(await (await second.restart()).state('value', 'a')).toBe(1);
  });
});

/**
 * A keyed stage fused after the one before it (`sameKey`): it runs in that stage's
 * tasks, no repartition, and gives what the same stage keyed anew behind a repartition
 * gives. TopAuctions with a `streak` stage between the count and the top: keyed by
 * auction like the count, it keeps each auction's running total of bids, emits it with
 * every count, and a window after each count reports the total it had then. Embedded,
 * in the harness, across a crash of its task, and when it throws.
 */
import {
  HEADER_ID,
  JobMetrics,
  ManualClock,
  MemoryStateBackend,
  silentLogger,
  StreamTask,
  planSegments,
  type ElementContext,
  type Emission,
  type JobSpec,
  type MapState,
  type RuntimeContext,
  type TimerContext,
  type ValueState,
} from '../src';
import { PipelineHarness } from '../src/testing';
import { readTopic, runOnBids } from './embedded-topics';
import {
  expectedTop,
  generateBids,
  nonEmptyStage,
  sortTop,
  topAuctionJob,
  WINDOW_MS,
  type AuctionCount,
  type Bid,
  type TopAuction,
} from './top-auction-job';

jest.setTimeout(60_000);

type Streak = AuctionCount & { running: number };
interface Settled {
  auction: string;
  at: number;
  running: number;
}

/** Keyed by auction like the count before it: the running total of the auction's bids. */
class StreakStage {
  private total!: ValueState<number>;
  private due!: MapState<number>;
  open(ctx: RuntimeContext) {
    this.total = ctx.valueState<number>('total');
    this.due = ctx.mapState<number>('due');
  }
  processElement(count: AuctionCount, ctx: ElementContext<Streak>) {
    // its own watermark is behind what the count's timers emit: never late here
    if (ctx.currentWatermark() >= ctx.timestamp) {
      ctx.output('behind', { count, watermark: ctx.currentWatermark() });
    }
    const running = (this.total.value() ?? 0) + count.count;
    this.total.update(running);
    ctx.emit({ ...count, running });
    const at = count.windowEnd + WINDOW_MS;
    this.due.put(String(at), running);
    ctx.timers.registerEventTimeTimer(at);
  }
  onTimer(timestamp: number, ctx: TimerContext<Streak>) {
    ctx.output('settled', {
      auction: ctx.key,
      at: timestamp,
      running: this.due.get(String(timestamp)),
    });
    this.due.remove(String(timestamp));
  }
}

/** TopAuctions with `streak` after the count: fused (same key), or keyed anew by auction. */
function streakJob(fused: boolean): JobSpec {
  const job = topAuctionJob();
  const [top] = job.keyedStages ?? [];
  return {
    ...job,
    stages: [nonEmptyStage()],
    keyedStages: [
      {
        kind: 'process',
        id: 'streak',
        input: 'counts',
        output: 'streaks',
        ...(fused ? { sameKey: true as const } : { key: (c: AuctionCount) => c.auction }),
        create: () => new StreakStage(),
        sideOutputs: { settled: 'settled' },
      },
      { ...top, input: 'streaks' },
    ],
    outputs: {
      ...job.outputs,
      sideOutputs: { late: 'late', behind: 'behind' },
      streams: { counts: 'counts-copy' },
    },
  };
}

const SINKS = ['top', 'late', 'behind', 'settled', 'counts-copy', 'dead-letters'];

const runEmbedded = (job: JobSpec, bids: readonly Bid[]) => runOnBids(job, bids, SINKS, 20);

const text = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).sort();

/** Each auction's running totals, window by window, computed from the bids. */
function expectedSettled(bids: readonly Bid[]): Settled[] {
  const byAuction = new Map<string, Map<number, number>>();
  for (const b of bids) {
    const end = Math.floor(b.ts / WINDOW_MS) * WINDOW_MS + WINDOW_MS;
    const windows = byAuction.get(b.auction) ?? new Map<number, number>();
    windows.set(end, (windows.get(end) ?? 0) + 1);
    byAuction.set(b.auction, windows);
  }
  const out: Settled[] = [];
  for (const [auction, windows] of byAuction) {
    let running = 0;
    for (const end of [...windows.keys()].sort((a, b) => a - b)) {
      running += windows.get(end)!;
      out.push({ auction, at: end + WINDOW_MS, running });
    }
  }
  return out;
}

describe('a keyed stage fused after the stage before it (sameKey)', () => {
  const bids = generateBids({ count: 600, seed: 9, windows: 8 });

  it('gives what the same stage behind a repartition gives, with no repartition of its own', async () => {
    const fused = await runEmbedded(streakJob(true), bids);
    const keyedAnew = await runEmbedded(streakJob(false), bids);
    // no exchange feeds the fused stage; the one into the top stage is there
    expect(fused.hasTopic('TopAuctions.streak.repartition')).toBe(false);
    expect(keyedAnew.hasTopic('TopAuctions.streak.repartition')).toBe(true);
    expect(fused.hasTopic('TopAuctions.top-auction.repartition')).toBe(true);

    const top = readTopic<TopAuction>(fused, 'top').map((r) => r.value);
    expect(sortTop(top)).toEqual(expectedTop(bids));
    const settled = readTopic<Settled>(fused, 'settled');
    expect(text(settled.map((s) => s.value))).toEqual(text(expectedSettled(bids)));
    for (const sink of ['top', 'settled', 'counts-copy']) {
      expect(text(readTopic(fused, sink).map((r) => r.value))).toEqual(
        text(readTopic(keyedAnew, sink).map((r) => r.value)),
      );
    }
    expect(readTopic(fused, 'behind')).toEqual([]);
    expect(readTopic(fused, 'late')).toEqual([]);
    expect(readTopic(fused, 'dead-letters')).toEqual([]);
    // ids: unique; the fused stage's timer outputs name it, in the count's tasks
    for (const sink of ['top', 'settled', 'counts-copy']) {
      const ids = readTopic(fused, sink).map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(settled[0].id).toMatch(/^TopAuctions\/\d+\/streak:event-timer@\d+:a\d+#0$/);
  });

  it('keeps its state beside the count’s in the harness, and reads no exchange', async () => {
    const harness = await PipelineHarness.create({ job: streakJob(true) });
    await harness.push('bids', ...bids);
    await harness.endOfInput();
    expect(sortTop(harness.output<TopAuction>())).toEqual(expectedTop(bids));
    const a1 = bids.filter((b) => b.auction === 'a1').length;
    expect(a1).toBeGreaterThan(0);
    expect(await harness.state('streak', 'total', 'a1')).toBe(a1);
    expect(text(harness.sideOutput('settled', 'streak'))).toEqual(text(expectedSettled(bids)));
    expect(harness.sideOutput('settled', 'count-bids')).toEqual([]);
    expect(harness.sideOutput('behind')).toEqual([]);
    expect(() => harness.stream('counts')).toThrow(/no keyed stage reads a stream "counts"/);
    expect(harness.stream<Streak>('streaks').length).toBeGreaterThan(0);
    harness.close();
  });

  it('restores its state and timers with the task’s checkpoint after a crash', async () => {
    // the job's first segment alone: the count with the streak fused into it
    const job = streakJob(true);
    const segment = { ...planSegments(job)[0].job, outputs: { main: 'streaks' } };
    const sorted = [...bids].sort((a, b) => a.ts - b.ts);
    const run = async (crashAt?: number) => {
      const backend = new MemoryStateBackend();
      // per output id: its content and the checkpoint epoch it was emitted in
      const out = new Map<string, { content: string; epoch: number }>();
      let lost = 0;
      const open = () =>
        StreamTask.open({
          job: segment,
          taskId: '0',
          partition: 0,
          backend,
          clock: new ManualClock(sorted[sorted.length - 1].ts),
          logger: silentLogger,
          metrics: new JobMetrics(),
          emit: (e: Emission, epoch: number) => {
            const id = e.record.headers[HEADER_ID];
            const content = JSON.stringify(e.record.value);
            expect(out.get(id)?.content ?? content).toBe(content);
            out.set(id, { content, epoch });
          },
        });
      let task = await open();
      const batch = 25;
      for (let from = 0; from < sorted.length; from += batch) {
        const elements = sorted
          .slice(from, from + batch)
          .map((value, i) => ({ value, offset: from + i }));
        await task.processBatch('bids', elements);
        if ((from / batch) % 4 === 3) await task.checkpoint();
        if (crashAt !== undefined && from >= crashAt) {
          // the task dies: what it emitted since its last checkpoint is not counted as
          // written (a sink may or may not have it); the restarted task must emit it again
          crashAt = undefined;
          const committed = task.checkpointId;
          for (const [id, o] of out) {
            if (o.epoch > committed) {
              out.delete(id);
              lost++;
            }
          }
          task.close();
          task = await open();
          expect(task.checkpointId).toBe(committed);
          from = task.positions.bids - batch;
        }
      }
      await task.endInput('bids');
      task.close();
      return { out: new Map([...out].map(([id, o]) => [id, o.content])), lost };
    };
    const clean = await run();
    const crashed = await run(Math.floor(sorted.length * 0.55));
    // the crash landed mid-epoch: outputs of the open epoch were dropped, settled ones too
    expect(crashed.lost).toBeGreaterThan(0);
    expect([...crashed.out].sort()).toEqual([...clean.out].sort());
    const settled = [...clean.out.values()].filter((v) => v.includes('"at"'));
    expect(settled.length).toBe(expectedSettled(bids).length);
  });

  it('fails a call in it as a whole: the input dead-lettered once, naming the stage', async () => {
    class Echo {
      private seen!: ValueState<number>;
      open(ctx: RuntimeContext) {
        this.seen = ctx.valueState<number>('seen');
      }
      processElement(v: { k: string; n: number }, ctx: ElementContext<unknown>) {
        this.seen.update((this.seen.value() ?? 0) + 1);
        ctx.emit(v);
      }
    }
    class Picky {
      private sum!: ValueState<number>;
      open(ctx: RuntimeContext) {
        this.sum = ctx.valueState<number>('sum');
      }
      processElement(v: { k: string; n: number }, ctx: ElementContext<unknown>) {
        if (v.n === 13) throw new Error('unlucky');
        const sum = (this.sum.value() ?? 0) + v.n;
        this.sum.update(sum);
        ctx.emit({ k: v.k, sum });
      }
    }
    const harness = await PipelineHarness.create({
      job: {
        name: 'Picky',
        sources: [
          {
            name: 'in',
            key: (v: { k: string }) => v.k,
            eventTime: { timestamp: (v: { n: number }) => v.n, maxOutOfOrdernessMs: 100 },
          },
        ],
        operator: {
          kind: 'process',
          name: 'echo',
          input: 'in',
          output: 'echoed',
          create: () => new Echo(),
        },
        keyedStages: [
          {
            kind: 'process',
            id: 'picky',
            input: 'echoed',
            sameKey: true,
            create: () => new Picky(),
          },
        ],
        outputs: { main: 'out', deadLetters: 'dead' },
        onError: { retries: 1, then: 'dead-letter' },
      },
    });
    await harness.push('in', { k: 'a', n: 1 }, { k: 'a', n: 13 }, { k: 'a', n: 2 });
    expect(harness.output()).toEqual([
      { k: 'a', sum: 1 },
      { k: 'a', sum: 3 },
    ]);
    const dead = harness.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0].reason).toMatch(/keyed stage "picky".*unlucky/);
    // the operator's part of the failed call was undone too: all or nothing
    expect(await harness.state('echo', 'seen', 'a')).toBe(2);
    expect(await harness.state('picky', 'sum', 'a')).toBe(3);
    harness.close();
  });

  it('is refused with a reason when keyed both ways', async () => {
    const job = streakJob(true);
    const [streak, top] = job.keyedStages!;
    const both = { ...streak, key: (c: AuctionCount) => c.auction };
    await expect(
      PipelineHarness.create({ job: { ...job, keyedStages: [both, top] } }),
    ).rejects.toThrow(/keyed stage "streak" needs exactly one of key .* and sameKey: true/);
  });
});

/**
 * A keyed stage behind a first segment whose source has no event time (an enrichment),
 * on the embedded log: that segment's input ends when its reader reaches the end of a
 * sealed topic, not because it keeps no watermark. So the markers of its checkpoints do
 * not tell the stage that it ended: the stage keeps taking input, none of it late,
 * after any number of upstream checkpoints, and ends once the upstream did.
 */
import {
  EmbeddedLog,
  launchJob,
  silentLogger,
  type ElementContext,
  type JobSpec,
  type Logger,
  type RuntimeContext,
  type ValueState,
} from '../src';
import { PipelineHarness } from '../src/testing';

jest.setTimeout(60_000);

interface Ev {
  readonly g: string;
  readonly v: number;
}

/** Keyed by g behind the repartition: the running sum of v. */
class Totals {
  private total!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.total = ctx.valueState<number>('total');
  }
  processElement(e: Ev, ctx: ElementContext<{ g: string; total: number }>) {
    const total = (this.total.value() ?? 0) + e.v;
    this.total.update(total);
    ctx.emit({ g: e.g, total });
  }
}

/** An enrichment (which needs no event time) and then a keyed stage. */
const job: JobSpec = {
  name: 'NoEventTime',
  sources: [{ name: 'evs' }],
  operator: {
    kind: 'async',
    name: 'enrich',
    input: 'evs',
    output: 'mid',
    limits: { concurrency: 4 },
    create: () => ({ enrich: async (e: Ev) => ({ ...e, v: e.v }) }),
  },
  keyedStages: [
    { kind: 'process', id: 'tot', input: 'mid', key: (e: Ev) => e.g, create: () => new Totals() },
  ],
  outputs: { main: 'out', sideOutputs: { late: 'late' } },
};

const PARTITIONS = 2;
const events = (from: number, to: number): Ev[] =>
  Array.from({ length: to - from }, (_, j) => {
    const i = from + j;
    return { g: `g${i % 7}`, v: i + 1 };
  });

interface Health {
  tasks: Array<{ task: string; checkpoint: number }>;
}

describe('a keyed stage behind a segment without event time (embedded)', () => {
  it('takes input after several upstream checkpoints, and ends when the upstream input does', async () => {
    const log = new EmbeddedLog(PARTITIONS);
    for (const topic of ['evs', 'out', 'late']) log.createTopic(topic, PARTITIONS);
    const append = (from: number, to: number) =>
      log.append(
        'evs',
        events(from, to).map((e, j) => ({ value: JSON.stringify(e), partition: j % PARTITIONS })),
      );
    const outputs = () =>
      Array.from({ length: PARTITIONS }, (_, p) =>
        log
          .read('out', p, 0, 1_000_000)
          .records.map((r) => JSON.parse(r.value) as { g: string; total: number }),
      ).flat();
    const until = async (done: () => Promise<boolean> | boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    let url = '';
    const logger: Logger = {
      ...silentLogger,
      info: (m: string) => (url ||= /status on (http:\/\/\S+)\/health/.exec(m)?.[1] ?? ''),
    };
    const health = async () =>
      url ? ((await (await fetch(`${url}/health`)).json()) as Health).tasks : [];

    append(0, 100);
    const launched = launchJob({
      job,
      sinks: ['out', 'late'],
      log,
      env: { STREAM_GEN_HTTP_PORT: '0' },
      logger,
      checkpointIntervalMs: 20,
    });
    const running = launched.run();
    try {
      await until(() => outputs().length === 100, 'the stage to apply the first events');
      // every upstream task checkpoints (and marks its epoch in the exchange) several times
      await until(async () => {
        const upstream = (await health()).filter((t) => !t.task.includes('/'));
        return upstream.length === PARTITIONS && upstream.every((t) => t.checkpoint >= 5);
      }, 'five upstream checkpoints');

      append(100, 300);
      log.seal('evs');
      await until(() => outputs().length === 300, 'the stage to apply the events after them');
    } catch (error) {
      await launched.stop();
      throw error;
    }
    // the job ends by itself: the upstream input ended, and then the stage's
    await running;

    const totals = new Map<string, number>();
    for (const e of events(0, 300)) totals.set(e.g, (totals.get(e.g) ?? 0) + e.v);
    const last = new Map<string, number>();
    for (const o of outputs()) last.set(o.g, Math.max(last.get(o.g) ?? 0, o.total));
    expect(last).toEqual(totals);
    expect(outputs()).toHaveLength(300);
    const late = Array.from({ length: PARTITIONS }, (_, p) => log.read('late', p, 0, 1000).records);
    expect(late.flat()).toEqual([]);
  });

  it('in the pipeline harness: takes input after several settles, none of it late', async () => {
    const harness = await PipelineHarness.create({ job });
    const all = events(0, 30);
    for (let i = 0; i < all.length; i += 10) await harness.push('evs', ...all.slice(i, i + 10));
    await harness.endOfInput();
    const totals = new Map<string, number>();
    for (const e of all) totals.set(e.g, (totals.get(e.g) ?? 0) + e.v);
    const last = new Map<string, number>();
    for (const o of harness.output<{ g: string; total: number }>())
      last.set(o.g, Math.max(last.get(o.g) ?? 0, o.total));
    expect(last).toEqual(totals);
    expect(harness.sideOutput('late')).toEqual([]);
    harness.close();
  });
});

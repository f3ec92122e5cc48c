/**
 * A record on an exchange topic that is no stream-gen exchange record (something else
 * wrote to the topic): a dead letter with the reason, the exchange, its partition and
 * the offset, like any bad input; the records around it are applied as usual.
 */
import {
  HEADER_OFFSET,
  HEADER_PARTITION,
  HEADER_REASON,
  HEADER_SOURCE,
  JobMetrics,
  ManualClock,
  MemoryStateBackend,
  StreamTask,
  planSegments,
  type DeadLetter,
  type Emission,
  type JobSpec,
  type Logger,
  type RawRecord,
} from '../src';
import { segmentTaskId } from '../src/job/segments';
import type { ExchangeElement, ExchangeMarker } from '../src/task/exchange-envelope';
import { silentLogger } from '../src/util/logger';

interface Count {
  g: string;
  n: number;
}

const job: JobSpec = {
  name: 'Counts',
  sources: [{ name: 'evs', key: (c: Count) => c.g }],
  operator: {
    kind: 'process',
    name: 'pass',
    input: 'evs',
    output: 'counts',
    create: () => ({ processElement: (c: Count, ctx) => ctx.emit(c) }),
  },
  keyedStages: [
    {
      kind: 'process',
      id: 'sum',
      input: 'counts',
      key: (c: Count) => c.g,
      create: () => ({ processElement: (c: Count, ctx) => ctx.emit({ g: c.g, n: c.n }) }),
    },
  ],
  outputs: { main: 'out', deadLetters: 'dead' },
};

const element = (n: number): ExchangeElement => ({
  x: 'e',
  u: 0,
  e: 1,
  a: 'A',
  id: `Counts/0/evs@${n}.0#0`,
  t: 1000,
  v: JSON.stringify({ g: 'g', n }),
});
const marker: ExchangeMarker = { x: 'm', u: 0, e: 1, a: 'A', w: 1000 };

describe('a foreign record on an exchange topic', () => {
  it('goes to the dead letters with the reason, the exchange, its partition and offset; the rest is applied', async () => {
    const stage = planSegments(job)[1];
    const emitted: Emission[] = [];
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const task = await StreamTask.open({
      job: stage.job,
      taskId: segmentTaskId(stage, 2),
      partition: 2,
      backend: new MemoryStateBackend(),
      clock: new ManualClock(0),
      logger,
      metrics: new JobMetrics(),
      exchange: { source: 'counts', upstreamTasks: 1 },
      emit: (emission) => emitted.push(emission),
    });
    const values: Array<string | null> = [
      JSON.stringify(element(1)),
      'plain text, not JSON',
      JSON.stringify({ g: 'g', n: 5 }), // an element written straight to the topic
      null,
      JSON.stringify({ x: 'm', u: 0, e: 1, a: 'A' }), // a marker without its watermark
      JSON.stringify(element(2)),
      JSON.stringify(marker),
    ];
    const records: RawRecord[] = values.map((value, i) => ({ offset: 10 + i, value }));
    await task.processExchange(records);

    const dead = emitted.filter((e) => e.stream.kind === 'dead-letter');
    expect(dead.map((e) => e.record.value as DeadLetter)).toEqual([
      {
        reason: expect.stringMatching(/^not a stream-gen exchange record: not valid JSON: /),
        source: 'counts',
        partition: 2,
        offset: 11,
        value: 'plain text, not JSON',
      },
      {
        reason: 'not a stream-gen exchange record: no upstream task (u), epoch (e) and attempt (a)',
        source: 'counts',
        partition: 2,
        offset: 12,
        value: { g: 'g', n: 5 },
      },
      {
        reason: 'not a stream-gen exchange record: record value is null (a Kafka tombstone)',
        source: 'counts',
        partition: 2,
        offset: 13,
        value: null,
      },
      {
        reason: 'not a stream-gen exchange record: a marker (x "m") without its watermark (w)',
        source: 'counts',
        partition: 2,
        offset: 14,
        value: { x: 'm', u: 0, e: 1, a: 'A' },
      },
    ]);
    expect(dead[1].record.headers).toMatchObject({
      'stream-gen-id': 'Counts/sum/2/counts@12/dead-letter#0',
      [HEADER_REASON]:
        'not a stream-gen exchange record: no upstream task (u), epoch (e) and attempt (a)',
      [HEADER_SOURCE]: 'counts',
      [HEADER_PARTITION]: '2',
      [HEADER_OFFSET]: '12',
    });
    // the exchange's own records around them are applied, in order
    const main = emitted.filter((e) => e.stream.kind === 'main').map((e) => e.record.value);
    expect(main).toEqual([
      { g: 'g', n: 1 },
      { g: 'g', n: 2 },
    ]);
    // the log line stays, one per record
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(
      /^exchange "counts" partition 2 offset 11 is not a stream-gen exchange record \(not valid JSON: .*\); sent to the dead letters$/,
    );
  });
});

import {
  type ElementContext,
  HEADER_ID,
  HEADER_PARTITION,
  JobMetrics,
  ManualClock,
  MemoryStateBackend,
  silentLogger,
} from '../src';
import type { Emission } from '../src/task/output-stream';
import { StreamTask } from '../src/task/stream-task';

import { clickJob, type Click } from './fixtures';

/**
 * A re-keyed input reaches a task from several upstream partitions, which hold the same
 * offsets: the partition must be part of an element's output ids and of its dead letter.
 */
describe('elements of a re-keyed input', () => {
  /** Forwards every element as it comes: its output id is named after the element. */
  const forward = () => ({
    processElement: (value: unknown, ctx: ElementContext<unknown>) => ctx.emit(value),
  });
  async function openTask() {
    const emitted: Emission[] = [];
    const job = clickJob();
    const task = await StreamTask.open({
      job: {
        ...job,
        operator: { kind: 'process', name: 'forward', input: 'clicks', create: forward },
        outputs: { main: 'counts', deadLetters: 'dead' },
      },
      taskId: '3',
      backend: new MemoryStateBackend(),
      clock: new ManualClock(0),
      logger: silentLogger,
      metrics: new JobMetrics(),
      emit: (e) => emitted.push(e),
      checkFutureEventTimes: false,
    });
    return { task, emitted };
  }
  const click = (user: string, ts: number, offset: number) => ({
    offset,
    value: { user, ts } satisfies Click,
  });

  it('get distinct ids when two upstream partitions hold the same offset', async () => {
    const { task, emitted } = await openTask();
    await task.processBatch('clicks', [click('a', 1, 5)], 'clicks@0', 0);
    await task.processBatch('clicks', [click('b', 2, 5)], 'clicks@1', 1);
    const ids = emitted
      .filter((e) => e.stream.kind === 'main')
      .map((e) => e.record.headers[HEADER_ID]);
    // timer outputs are named after the timer; the elements' own ids carry the partition
    expect(new Set(ids).size).toBe(2);
    expect(task.positions).toMatchObject({ 'clicks@0': 6, 'clicks@1': 6 });
  });

  it('name the upstream partition in output ids and dead letters', async () => {
    const { task, emitted } = await openTask();
    await task.processBatch('clicks', [{ offset: 7, value: { user: 'a' } }], 'clicks@2', 2);
    await task.processBatch('clicks', [{ offset: 7, value: { user: 'a' } }], 'clicks@1', 1);
    const letters = emitted.filter((e) => e.stream.kind === 'dead-letter');
    expect(letters.map((e) => e.record.value)).toMatchObject([
      { source: 'clicks', partition: 2, offset: 7 },
      { source: 'clicks', partition: 1, offset: 7 },
    ]);
    expect(letters.map((e) => e.record.headers[HEADER_PARTITION])).toEqual(['2', '1']);
    expect(letters.map((e) => e.record.headers[HEADER_ID])).toEqual([
      'Clicks/3/clicks:2@7.0/dead-letter#0',
      'Clicks/3/clicks:1@7.0/dead-letter#0',
    ]);
    // the task's own partition when nothing is re-keyed
    await task.processBatch('clicks', [{ offset: 8, value: { user: 'a' } }]);
    expect(emitted.at(-1)?.record.value).toMatchObject({ partition: 3, offset: 8 });
  });

  it('a timer that fails in a re-keyed batch names the task, not the upstream partition', async () => {
    const emitted: Emission[] = [];
    const failing = () => ({
      processElement: (_v: unknown, ctx: ElementContext<unknown>) =>
        ctx.timers.registerEventTimeTimer(1),
      onTimer: () => {
        throw new Error('timer broke');
      },
    });
    const task = await StreamTask.open({
      job: {
        ...clickJob(),
        operator: { kind: 'process', name: 'failing', input: 'clicks', create: failing },
        outputs: { main: 'counts', deadLetters: 'dead' },
      },
      taskId: '3',
      backend: new MemoryStateBackend(),
      clock: new ManualClock(0),
      logger: silentLogger,
      metrics: new JobMetrics(),
      emit: (e) => emitted.push(e),
      checkFutureEventTimes: false,
    });
    // the second element moves the watermark past the timer, which fires in this batch
    await task.processBatch('clicks', [click('a', 1, 0), click('a', 500, 1)], 'clicks@2', 2);
    const letter = emitted.find((e) => e.stream.kind === 'dead-letter')?.record.value;
    expect(letter).toMatchObject({ source: 'event-timer', partition: 3 });
  });
});

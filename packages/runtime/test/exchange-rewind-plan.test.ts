/**
 * The plan of a rewind of a job with keyed stages (pure logic, see "Rewind" in
 * task/epoch-gate.ts): which tasks feed which, in what order they are stepped through,
 * what each gets installed, and what is refused. Two stages behind each other here:
 * tasks 0 and 1 write stream "a", stage A (tasks A/0, A/1) reads it and writes "b",
 * stage B (task B/0) reads "b".
 */
import type { AppliedEpoch, TaskCheckpoint } from '../src/state/checkpoint';
import { exchangeTopology, planExchangeRewind } from '../src/state/redis/exchange-rewind';

const applied = (epoch: number): AppliedEpoch => ({
  epoch,
  attempt: 'x',
  watermark: 0,
  ended: false,
});

const at = (id: number, fields: Partial<TaskCheckpoint> = {}): TaskCheckpoint => ({
  id,
  takenAt: id,
  positions: {},
  watermarks: { current: 0, inputs: {} },
  timers: { event: [], processing: [] },
  ...fields,
});

/** Stage checkpoint `id` that applied `epochs[u]` of upstream task u. */
const stage = (
  id: number,
  source: string,
  epochs: number[],
  fields: Partial<TaskCheckpoint> = {},
) =>
  at(id, {
    exchangeSource: source,
    exchange: Object.fromEntries(epochs.map((e, u) => [String(u), applied(e)])),
    ...fields,
  });

describe('the plan of a rewind across exchanges', () => {
  it('pairs stages by stream and steps through the last stage first', () => {
    const topology = exchangeTopology([
      { task: '0', checkpoint: at(1, { stream: 'a' }) },
      { task: 'B/0', checkpoint: stage(1, 'b', [1, 1]) },
      { task: 'A/1', checkpoint: stage(1, 'a', [1, 1], { stream: 'b' }) },
      { task: '1', checkpoint: at(1, { stream: 'a' }) },
      { task: 'A/0', checkpoint: stage(1, 'a', [1, 1], { stream: 'b' }) },
    ]);
    expect(topology.problems).toEqual([]);
    expect(topology.levels).toEqual([['B/0'], ['A/1', 'A/0'], ['0', '1']]);
    expect(topology.upstreams.get('B/0')).toEqual(
      new Map([
        [1, 'A/1'],
        [0, 'A/0'],
      ]),
    );
    expect(topology.upstreams.get('A/0')).toEqual(
      new Map([
        [0, '0'],
        [1, '1'],
      ]),
    );
  });

  it('installs new ids for the tasks that feed a stage and moved back, void ranges behind them', () => {
    const plan = planExchangeRewind([
      // task 0 goes from 9 back to 5: it continues as 11, and (5, 11] is void downstream
      { task: '0', latest: 9, checkpoint: at(5, { stream: 'a', skippedEpochs: [[1, 2]] }) },
      // task 1 stays where it is: nothing of it is discarded
      { task: '1', latest: 4, checkpoint: at(4, { stream: 'a' }) },
      // A/0 applied 4 of task 0 and 3 of task 1; it feeds B and goes from 8 to 6
      { task: 'A/0', latest: 8, checkpoint: stage(6, 'a', [4, 3], { stream: 'b' }) },
      { task: 'A/1', latest: 6, checkpoint: stage(6, 'a', [5, 4], { stream: 'b' }) },
      // B/0 applied 6 of A/0 and 5 of A/1
      { task: 'B/0', latest: 3, checkpoint: stage(2, 'b', [6, 5]) },
    ]);
    expect(plan.problems).toEqual([]);
    expect(plan.levels).toEqual([['B/0'], ['A/0', 'A/1'], ['0', '1']]);
    expect(plan.installs.get('0')).toMatchObject({
      id: 11,
      skippedEpochs: [
        [1, 2],
        [5, 11],
      ],
    });
    expect(plan.installs.has('1')).toBe(false);
    // A/0: a new id as the upstream of B, the void range of task 0 as a stage (above 4)
    expect(plan.installs.get('A/0')).toMatchObject({
      id: 10,
      skippedEpochs: [[6, 10]],
      voidEpochs: { '0': [[5, 11]] },
    });
    expect(plan.installs.get('A/1')).toMatchObject({ id: 6, voidEpochs: { '0': [[5, 11]] } });
    expect(plan.installs.get('A/1')?.skippedEpochs).toBeUndefined();
    expect(plan.installs.get('B/0')).toMatchObject({ id: 2, voidEpochs: { '0': [[6, 10]] } });
  });

  it('drops void ranges a stage no longer needs, and keeps the target when nothing changes', () => {
    const plan = planExchangeRewind([
      { task: '0', latest: 3, checkpoint: at(3, { stream: 'a' }) },
      {
        task: 'A/0',
        latest: 4,
        checkpoint: stage(2, 'a', [3], { voidEpochs: { '0': [[3, 5]] } }),
      },
      { task: 'A/1', latest: 4, checkpoint: stage(2, 'a', [3]) },
    ]);
    expect(plan.problems).toEqual([]);
    expect(plan.installs.get('A/0')).toEqual(stage(2, 'a', [3]));
    expect(plan.installs.has('A/1')).toBe(false);
  });

  it('refuses a stage target that applied what its upstream target does not hold', () => {
    const plan = planExchangeRewind([
      { task: '0', latest: 9, checkpoint: at(5, { stream: 'a', skippedEpochs: [[2, 4]] }) },
      { task: 'A/0', latest: 7, checkpoint: stage(7, 'a', [6]) },
      { task: 'A/1', latest: 7, checkpoint: stage(7, 'a', [3]) },
    ]);
    expect(plan.problems).toEqual([
      {
        task: 'A/0',
        problem: expect.stringMatching(
          /^goes to checkpoint 7, which applied epoch 6 of upstream task 0, but task 0 goes to checkpoint 5: /,
        ),
      },
      {
        task: 'A/1',
        problem: expect.stringMatching(
          /^goes to checkpoint 7, which applied epoch 3 of upstream task 0, an epoch that a rewind discarded before checkpoint 5 of task 0: /,
        ),
      },
    ]);
  });

  it('refuses what it cannot pair: no stream recorded, no writer, an unknown upstream task', () => {
    const plan = planExchangeRewind([
      { task: '0', latest: 2, checkpoint: at(2, { stream: 'a' }) },
      { task: 'A/0', latest: 2, checkpoint: at(2) },
      { task: 'B/0', latest: 2, checkpoint: stage(2, 'b', [1]) },
      { task: 'C/0', latest: 2, checkpoint: stage(2, 'a', [1, 1]) },
    ]);
    expect(plan.problems.map((p) => `${p.task} ${p.problem}`)).toEqual([
      'A/0 is behind a repartition, but its checkpoint 2 does not say which stream it reads: ' +
        'it was written by an older stream-gen; rewind to a checkpoint taken since, or restate ' +
        'the job under a new STREAM_GEN_NAMESPACE',
      'B/0 reads stream "b" through a repartition, but no task\'s checkpoint says it writes "b": ' +
        'checkpoints written by an older stream-gen; rewind to a checkpoint taken since, or ' +
        'restate the job under a new STREAM_GEN_NAMESPACE',
      'C/0 applied epochs of upstream task 1, of which no task has checkpoints',
    ]);
  });
});

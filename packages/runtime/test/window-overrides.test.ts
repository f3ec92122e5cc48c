import type { JobSpec, WindowAggregate } from '../src';
import { withWindowOverrides } from '../src/runner/window-overrides';

const count: WindowAggregate<unknown, number, number> = {
  createAccumulator: () => 0,
  add: (_e, n) => n + 1,
  result: (n) => n,
};

const job: JobSpec = {
  name: 'Windows',
  sources: [
    { name: 'in', key: () => 'k', eventTime: { timestamp: () => 0, maxOutOfOrdernessMs: 0 } },
  ],
  operator: {
    kind: 'process',
    name: 'Sessions',
    input: 'in',
    output: 'sessions',
    window: { assigner: { kind: 'session', gapMs: 1_800_000 } },
    create: () => count,
  },
  keyedStages: [
    {
      kind: 'process',
      id: 'per-minute',
      input: 'sessions',
      key: () => 'all',
      window: {
        assigner: { kind: 'sliding', sizeMs: 60_000, slideMs: 10_000 },
        allowedLatenessMs: 5,
      },
      create: () => count,
    },
  ],
  outputs: { main: 'out' },
};

const windows = (j: JobSpec) => [
  j.operator?.kind === 'process' ? j.operator.window : undefined,
  j.keyedStages?.[0].window,
];

describe('STREAM_GEN_WINDOW_MS', () => {
  it('changes the windows of the stages it names, and nothing else', () => {
    expect(withWindowOverrides(job, {})).toBe(job);
    const changed = withWindowOverrides(job, {
      STREAM_GEN_WINDOW_MS:
        'Sessions.gap=60000, per-minute.slide=20000,per-minute.allowedLateness=0',
    });
    expect(windows(changed)).toEqual([
      { assigner: { kind: 'session', gapMs: 60_000 } },
      { assigner: { kind: 'sliding', sizeMs: 60_000, slideMs: 20_000 }, allowedLatenessMs: 0 },
    ]);
    expect(windows(job)[0]).toEqual({ assigner: { kind: 'session', gapMs: 1_800_000 } });
  });

  it('needs no stage name in a job with one window stage', () => {
    const one: JobSpec = { ...job, keyedStages: undefined, outputs: { main: 'sessions' } };
    expect(windows(withWindowOverrides(one, { STREAM_GEN_WINDOW_MS: 'gap=5000' }))[0]).toEqual({
      assigner: { kind: 'session', gapMs: 5_000 },
    });
  });

  it('refuses what it cannot apply, saying what it can', () => {
    const set = (v: string) => () => withWindowOverrides(job, { STREAM_GEN_WINDOW_MS: v });
    expect(set('gap=5000')).toThrow(/has the window stages Sessions, per-minute: say which/);
    expect(set('Sessions.size=5000')).toThrow(
      /session windows of "Sessions" have gap, allowedLateness, not "size"/,
    );
    expect(set('nope.gap=5')).toThrow(
      /names "nope", but the window stages of Windows are Sessions, per-minute/,
    );
    expect(set('Sessions.gap=30m')).toThrow(/needs <field>=<ms> or <stage>.<field>=<ms>/);
    const none: JobSpec = { ...job, operator: undefined, keyedStages: undefined };
    expect(() => withWindowOverrides(none, { STREAM_GEN_WINDOW_MS: 'gap=1' })).toThrow(
      /has no window stage/,
    );
  });
});

/**
 * A keyed stage fused with the operator (`sameKey: true`), from decorators to a run:
 * the operator counts each user's plays (keyed by `user`), the stage reads what it
 * emits under that same key, with no @KeyBy and no repartition, and keeps each user's
 * running watch time in @State. generate() emits the stage with `sameKey: true` and no
 * `key` (checked as text), `stream-gen graph` draws its input solid, the generated files
 * compile with the project, and the generated Nest module runs the job over JSON-lines
 * files to the totals computed here directly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGenerated } from '../src';
import { specSection, useGeneratedProject } from './e2e-project';
import { cli } from './run-cli';
import { jsonLines, readJsonLines, runGenerated } from './run-generated';

const MODEL = `export interface Play {
  user: string;
  title: string;
  ms: number;
  ts: number;
}

export interface CountedPlay {
  user: string;
  plays: number;
  ms: number;
}

export interface WatchTime {
  key: string;
  user: string;
  plays: number;
  totalMs: number;
}
`;

const STAGE = `import { KeyedProcess, ProcessElement, State } from '@stream-gen/annotations';
import type { ElementContext, ValueState } from '@stream-gen/runtime';
import type { CountedPlay, WatchTime } from './model';

/** Read under the operator's key (the user): each user's running watch time. */
@KeyedProcess({ id: 'watch-time', input: 'counted', sameKey: true })
export class RunningWatchTime {
  @State() private total!: ValueState<number>;

  @ProcessElement('counted')
  onCounted(counted: CountedPlay, ctx: ElementContext<WatchTime>): void {
    const totalMs = (this.total.value() ?? 0) + counted.ms;
    this.total.update(totalMs);
    ctx.emit({ key: ctx.key, user: counted.user, plays: counted.plays, totalMs });
  }
}
`;

const JOB = `import { KeyBy, KeyedProcess, ProcessElement, Sink, Source, State, StreamJob } from '@stream-gen/annotations';
import type { ElementContext, ValueState } from '@stream-gen/runtime';
import type { CountedPlay, Play } from './model';
import { RunningWatchTime } from './watch-time.stage';

@StreamJob({ name: 'WatchTime', deadLetters: 'dead-letters', stages: [RunningWatchTime] })
@Source<Play>('plays', { eventTime: 'ts' })
@Sink('watch-time')
@Sink('dead-letters')
@KeyedProcess({ input: 'plays', output: 'counted' })
export class CountPlays {
  @State() private plays!: ValueState<number>;

  @ProcessElement('plays')
  @KeyBy('user')
  onPlay(play: Play, ctx: ElementContext<CountedPlay>): void {
    const plays = (this.plays.value() ?? 0) + 1;
    this.plays.update(plays);
    ctx.emit({ user: play.user, plays, ms: play.ms });
  }
}
`;

/** The runner's `keyedStages`: the stage reads under the key it was emitted with. */
const KEYED_STAGES = `    keyedStages: [
      {
        kind: 'process',
        id: 'watch-time',
        input: 'counted',
        sameKey: true,
        create: async () => {
          const stage = await createStage(RunningWatchTime);
          return {
            open(ctx) {
              stage['total'] = ctx.valueState('total');
            },
            processElement: (value, ctx) => stage['onCounted'](value, ctx),
          };
        },
      },
    ],
`;

interface Play {
  user: string;
  title: string;
  ms: number;
  ts: number;
}

const T0 = 1_700_000_000_000;
const PLAYS: Play[] = (
  [
    ['u1', 't1', 1_000],
    ['u2', 't1', 5_000],
    ['u1', 't2', 2_500],
    ['u3', 't3', 700],
    ['u2', 't2', 300],
    ['u1', 't1', 4_000],
  ] as const
).map(([user, title, ms], i) => ({ user, title, ms, ts: T0 + i * 1_000 }));

/** Each play as the stage emits it, computed directly: the user's plays and watch time so far. */
function expectedWatchTime(plays: readonly Play[]) {
  const so = new Map<string, { plays: number; totalMs: number }>();
  return plays.map(({ user, ms }) => {
    const last = so.get(user) ?? { plays: 0, totalMs: 0 };
    const next = { plays: last.plays + 1, totalMs: last.totalMs + ms };
    so.set(user, next);
    return { key: user, user, ...next };
  });
}

const byUser = <T extends { user: string; plays: number }>(records: readonly T[]) =>
  [...records].sort((a, b) => a.user.localeCompare(b.user) || a.plays - b.plays);

describe('a keyed stage read under the operator’s key, generated from decorators', () => {
  const project = useGeneratedProject('same-key', 'watch-time', {
    'model.ts': MODEL,
    'watch-time.stage.ts': STAGE,
    'watch-time.job.ts': JOB,
  });

  it('emits the stage with sameKey: true and no key', () => {
    const runner = project.runner('WatchTime');
    const stages = specSection(runner, '    keyedStages: [');
    expect(stages).toBe(KEYED_STAGES);
    expect(stages).not.toMatch(/\bkey:/);
    // the operator is keyed by its @KeyBy, as before
    expect(runner).toContain(`key: (e: Play) => e.user,\n`);
    expect(runner).toContain(
      `outputs: {\n      main: 'watch-time',\n      deadLetters: 'dead-letters',\n    },`,
    );
  });

  it('is drawn by stream-gen graph with a solid "same key" edge into the stage', async () => {
    const graph = (format: string) =>
      cli('graph', 'WatchTime', '--project', project.dir, '--format', format);
    const mermaid = await graph('mermaid');
    expect(mermaid).toEqual({
      code: 0,
      out: [
        'flowchart LR',
        '  source_plays[/"plays"/]',
        '  sink_watch_time[("watch-time")]',
        '  sink_dead_letters[("dead-letters")]',
        '  op_CountPlays["CountPlays (keyed process)"]',
        '  stage_watch_time["watch-time: RunningWatchTime (keyed process)"]',
        '  source_plays -->|"keyBy (e: Play) => e.user"| op_CountPlays',
        '  op_CountPlays -->|"same key"| stage_watch_time',
        '  stage_watch_time --> sink_watch_time',
        '  op_CountPlays -->|"dead letters"| sink_dead_letters',
        '  stage_watch_time -->|"dead letters"| sink_dead_letters',
      ].join('\n'),
      err: '',
    });
    const dot = await graph('dot');
    expect(dot.code).toBe(0);
    expect(dot.out.split('\n')).toContain(
      '  op_CountPlays -> stage_watch_time [label="same key"];',
    );
    expect(dot.out).not.toContain('dashed');
    const json = await graph('json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out).edges).toContainEqual({
      from: 'op_CountPlays',
      to: 'stage_watch-time',
      label: 'same key',
    });
  });

  it('compiles with zero diagnostics, next to the project sources', () => {
    expect(project.typeErrors()).toBe('');
  });

  it('runs from its generated Nest module: each user’s running watch time, under the user’s key', async () => {
    writeGenerated(project.result);
    const plays = join(project.root, 'plays.jsonl');
    const watchTime = join(project.root, 'watch-time.jsonl');
    writeFileSync(plays, jsonLines(PLAYS));
    await runGenerated(project.runnerPath('WatchTime'), 'CountPlays', {
      sourceFiles: { plays },
      sinkFiles: { 'watch-time': watchTime },
    });
    expect(expectedWatchTime(PLAYS).filter((w) => w.user === 'u1')).toEqual([
      { key: 'u1', user: 'u1', plays: 1, totalMs: 1_000 },
      { key: 'u1', user: 'u1', plays: 2, totalMs: 3_500 },
      { key: 'u1', user: 'u1', plays: 3, totalMs: 7_500 },
    ]);
    expect(byUser(readJsonLines<{ user: string; plays: number }>(watchTime))).toEqual(
      byUser(expectedWatchTime(PLAYS)),
    );
  });
});

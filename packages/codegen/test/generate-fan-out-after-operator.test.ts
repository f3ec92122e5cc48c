/**
 * The operator's output read by two chain stages, from decorators to a run: clicks are
 * counted per user by the operator into stream `counts`; stage `label` turns each count
 * into a label for the main output (sink `labeled`), stage `heavy` keeps the counts of
 * two clicks or more, copied to a sink of their own (`@Sink('heavy', { stream })`).
 * generate() emits both stages and `outputs.streams` (checked as text), `stream-gen
 * graph` draws both branches, the generated files compile with the project, and the
 * generated Nest module runs the job over JSON-lines files to the outputs computed here
 * directly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGenerated } from '../src';
import { specSection, useGeneratedProject } from './e2e-project';
import { cli } from './run-cli';
import { jsonLines, readJsonLines, runGenerated } from './run-generated';

const JOB = `import { Chain, FilterElement, KeyBy, KeyedProcess, MapElement, ProcessElement, Sink, Source, State, StreamJob } from '@stream-gen/annotations';
import type { ElementContext, ValueState } from '@stream-gen/runtime';

export interface Click {
  user: string;
  ts: number;
}

export interface UserClicks {
  user: string;
  clicks: number;
}

@Chain({ id: 'label', input: 'counts', output: 'labeled' })
export class Label {
  @MapElement()
  label(count: UserClicks): { user: string; label: string } {
    return { user: count.user, label: count.user + ' x' + count.clicks };
  }
}

@Chain({ id: 'heavy', input: 'counts', output: 'heavy-counts' })
export class Heavy {
  @FilterElement()
  heavy(count: UserClicks): boolean {
    return count.clicks >= 2;
  }
}

@StreamJob({ name: 'LabelClicks', deadLetters: 'dead-letters', stages: [Label, Heavy] })
@Source<Click>('clicks', { eventTime: 'ts' })
@Sink('labeled')
@Sink('heavy', { stream: 'heavy-counts' })
@Sink('dead-letters')
@KeyedProcess({ input: 'clicks', output: 'counts' })
export class CountClicks {
  @State() private clicks!: ValueState<number>;

  @ProcessElement('clicks')
  @KeyBy('user')
  onClick(click: Click, ctx: ElementContext<UserClicks>): void {
    const clicks = (this.clicks.value() ?? 0) + 1;
    this.clicks.update(clicks);
    ctx.emit({ user: click.user, clicks });
  }
}
`;

/** The runner's `stages`: both branches read the operator's output stream. */
const STAGES = `    stages: [
      {
        kind: 'chain',
        id: 'label',
        input: 'counts',
        output: 'labeled',
        create: async () => {
          const stage = await createStage(Label);
          return [
            { kind: 'map', name: 'label', fn: (value) => stage['label'](value) },
          ];
        },
      },
      {
        kind: 'chain',
        id: 'heavy',
        input: 'counts',
        output: 'heavy-counts',
        create: async () => {
          const stage = await createStage(Heavy);
          return [
            { kind: 'filter', name: 'heavy', fn: (value) => stage['heavy'](value) },
          ];
        },
      },
    ],
`;

/** The runner's `outputs`: the main branch's sink, and the copy of the other branch. */
const OUTPUTS = `    outputs: {
      main: 'labeled',
      deadLetters: 'dead-letters',
      streams: { 'heavy-counts': 'heavy' },
    },
`;

const CLICKS = ['a', 'b', 'a', 'c', 'a', 'b'].map((user, i) => ({ user, ts: 1_000 + i }));

/** What the operator emits per click, computed directly: the user's clicks so far. */
function expectedCounts() {
  const so = new Map<string, number>();
  return CLICKS.map(({ user }) => {
    so.set(user, (so.get(user) ?? 0) + 1);
    return { user, clicks: so.get(user) ?? 0 };
  });
}

const sorted = <T>(records: readonly T[]) =>
  [...records].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('the operator’s output read by two chain stages, generated from decorators', () => {
  const project = useGeneratedProject('fan-out-after', 'label-clicks', {
    'label-clicks.job.ts': JOB,
  });

  it('emits both stages, the main branch’s sink as main and the copy of the other', () => {
    const runner = project.runner('LabelClicks');
    expect(specSection(runner, '    stages: [')).toBe(STAGES);
    expect(specSection(runner, '    outputs: {')).toBe(OUTPUTS);
    expect(runner).toContain(`    output: 'counts',\n`);
  });

  it('is drawn by stream-gen graph with both branches after the operator', async () => {
    const mermaid = await cli('graph', 'LabelClicks', '--project', project.dir);
    expect(mermaid).toEqual({
      code: 0,
      out: [
        'flowchart LR',
        '  source_clicks[/"clicks"/]',
        '  sink_labeled[("labeled")]',
        '  sink_heavy[("heavy")]',
        '  sink_dead_letters[("dead-letters")]',
        '  stage_label("label: Label (map)")',
        '  stage_heavy("heavy: Heavy (filter)")',
        '  op_CountClicks["CountClicks (keyed process)"]',
        '  op_CountClicks -->|"counts"| stage_label',
        '  op_CountClicks -->|"counts"| stage_heavy',
        '  source_clicks -->|"keyBy (e: Click) => e.user"| op_CountClicks',
        '  stage_heavy -->|"heavy-counts"| sink_heavy',
        '  stage_label --> sink_labeled',
        '  op_CountClicks -->|"dead letters"| sink_dead_letters',
      ].join('\n'),
      err: '',
    });
  });

  it('compiles with zero diagnostics, next to the project sources', () => {
    expect(project.typeErrors()).toBe('');
  });

  it('runs: every count labeled to the main output, the heavy ones copied to their sink', async () => {
    writeGenerated(project.result);
    const clicks = join(project.root, 'clicks.jsonl');
    const labeled = join(project.root, 'labeled.jsonl');
    const heavy = join(project.root, 'heavy.jsonl');
    writeFileSync(clicks, jsonLines(CLICKS));
    await runGenerated(project.runnerPath('LabelClicks'), 'CountClicks', {
      sourceFiles: { clicks },
      sinkFiles: { labeled, heavy },
    });
    const counts = expectedCounts();
    expect(sorted(readJsonLines(labeled))).toEqual(
      sorted(counts.map((c) => ({ user: c.user, label: `${c.user} x${c.clicks}` }))),
    );
    expect(sorted(readJsonLines(heavy))).toEqual(sorted(counts.filter((c) => c.clicks >= 2)));
  });
});

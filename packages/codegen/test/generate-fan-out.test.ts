/**
 * A stream read by two chain stages, from decorators to a run: raw lines are parsed
 * once, then the bots' clicks go to a sink of their own (`@Sink(name, { stream })`) and
 * the others to the operator, which counts them per user. generate() emits the stages
 * and `outputs.streams` (checked as text), the generated files compile with the project,
 * and the generated Nest module runs the job over JSON-lines files to the outputs
 * computed here directly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGenerated } from '../src';
import { useGeneratedProject } from './e2e-project';
import { jsonLines, readJsonLines, runGenerated } from './run-generated';

const JOB = `import { Chain, FilterElement, FlatMapElement, KeyBy, KeyedProcess, ProcessElement, Sink, Source, State, StreamJob } from '@stream-gen/annotations';
import type { ElementContext, ValueState } from '@stream-gen/runtime';

export interface Click {
  user: string;
  ts: number;
}

@Chain({ id: 'parse', input: 'lines', output: 'clicks' })
export class Parse {
  @FlatMapElement()
  split(line: string): Click[] {
    return line.split(';').map((part) => JSON.parse(part) as Click);
  }
}

@Chain({ id: 'bots', input: 'clicks', output: 'bot-clicks' })
export class Bots {
  @FilterElement()
  bot(click: Click): boolean {
    return click.user.startsWith('bot');
  }
}

@Chain({ id: 'humans', input: 'clicks', output: 'human-clicks' })
export class Humans {
  @FilterElement()
  human(click: Click): boolean {
    return !click.user.startsWith('bot');
  }
}

@StreamJob({ name: 'SplitClicks', deadLetters: 'dead-letters', stages: [Parse, Bots, Humans] })
@Source<string>('lines', { eventTime: 'ts' })
@Sink('counts')
@Sink('bots', { stream: 'bot-clicks' })
@Sink('dead-letters')
@KeyedProcess({ input: 'human-clicks', output: 'counts' })
export class CountHumans {
  @State() private clicks!: ValueState<number>;

  @ProcessElement('human-clicks')
  @KeyBy('user')
  onClick(click: Click, ctx: ElementContext<{ user: string; clicks: number }>): void {
    const clicks = (this.clicks.value() ?? 0) + 1;
    this.clicks.update(clicks);
    ctx.emit({ user: click.user, clicks });
  }
}
`;

const LINES = [
  '{"user":"a","ts":1};{"user":"bot1","ts":2}',
  '{"user":"bot2","ts":3}',
  '{"user":"a","ts":4};{"user":"b","ts":5}',
];

describe('a stream read by two chain stages, generated from decorators', () => {
  const project = useGeneratedProject('fan-out', 'split-clicks', { 'split-clicks.job.ts': JOB });

  it('emits both branches and the copy of the bots’ stream', () => {
    const runner = project.runner('SplitClicks');
    for (const [id, input] of [
      ['parse', 'lines'],
      ['bots', 'clicks'],
      ['humans', 'clicks'],
    ])
      expect(runner).toContain(`id: '${id}',\n        input: '${input}',`);
    expect(runner).toContain(`streams: { 'bot-clicks': 'bots' },`);
    // the source is keyed by the handler of the branch the operator reads
    expect(runner).toContain(`        key: (e) => e.user,\n`);
  });

  it('compiles with zero diagnostics, next to the project sources', () => {
    expect(project.typeErrors()).toBe('');
  });

  it('runs: humans counted, bots copied to their sink', async () => {
    writeGenerated(project.result);
    const lines = join(project.root, 'lines.jsonl');
    const counts = join(project.root, 'counts.jsonl');
    const bots = join(project.root, 'bots.jsonl');
    writeFileSync(lines, jsonLines(LINES));
    await runGenerated(project.runnerPath('SplitClicks'), 'CountHumans', {
      sourceFiles: { lines },
      sinkFiles: { counts, bots },
    });
    expect(readJsonLines(counts)).toEqual([
      { user: 'a', clicks: 1 },
      { user: 'a', clicks: 2 },
      { user: 'b', clicks: 1 },
    ]);
    expect(readJsonLines<{ user: string }>(bots).map((c) => c.user)).toEqual(['bot1', 'bot2']);
  });
});

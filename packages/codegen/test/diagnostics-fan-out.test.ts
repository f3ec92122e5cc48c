import { mainOutputSink, outputTrees } from '../src/model/streams';
import { analyzeSource, diagnosticsOf } from './virtual-project';

/**
 * `lines` parsed once into `clicks`, read by two chain stages (`bots`, `humans`); the
 * operator's options and handlers, and the source's options, are the parts tests replace.
 */
const forked = (parts: { op?: string; handlers?: string; source?: string } = {}) => `
import { Chain, FilterElement, FlatMapElement } from '@stream-gen/annotations';
export interface Click { user: string; ts: number }
@Chain({ id: 'parse', input: 'lines', output: 'clicks' })
export class Parse {
  @FlatMapElement()
  split(line: string): Click[] { return [JSON.parse(line) as Click]; }
}
@Chain({ id: 'bots', input: 'clicks', output: 'bot-clicks' })
export class Bots {
  @FilterElement()
  bot(c: Click): boolean { return c.user.startsWith('bot'); }
}
@Chain({ id: 'humans', input: 'clicks', output: 'human-clicks' })
export class Humans {
  @FilterElement()
  human(c: Click): boolean { return !c.user.startsWith('bot'); }
}
@StreamJob({ name: 'J', stages: [Parse, Bots, Humans] })
@Source<string>('lines'${parts.source ?? `, { eventTime: 'ts' }`})
@Sink('out')
@Sink('bots', { stream: 'bot-clicks' })
${parts.op ?? `@KeyedProcess({ input: 'human-clicks', output: 'out' })`}
export class J {
${
  parts.handlers ??
  `  @ProcessElement('human-clicks')
  @KeyBy('user')
  onClick(c: Click, ctx: ElementContext<Click>) { ctx.emit(c); }`
}
}
`;

describe('a stream read by two chain stages', () => {
  it('accepts two branches, one to the operator and one copied to a sink', () => {
    expect(diagnosticsOf(forked())).toEqual([]);
  });

  it('SG1101: two inputs of the operator from the branches of one source', () => {
    const handlers = ['human-clicks', 'bot-clicks']
      .map(
        (input, i) => `  @ProcessElement('${input}')
  @KeyBy('user')
  on${i}(c: Click, ctx: ElementContext<Click>) { ctx.emit(c); }`,
      )
      .join('\n');
    const job = forked({
      op: `@Union({ inputs: ['human-clicks', 'bot-clicks'], output: 'out' })`,
      handlers,
    }).replace(`@Sink('bots', { stream: 'bot-clicks' })`, '');
    expect(diagnosticsOf(job)).toEqual([
      `23:35 SG1101 @Union input "bot-clicks" comes from source "lines", as input "human-clicks" does: the elements of one source feed one input; read one branch and tell the elements apart in its handler`,
    ]);
  });

  it('SG1303 names the source, and the stream it feeds the operator as', () => {
    expect(diagnosticsOf(forked({ source: '' }))).toEqual([
      `20:17 SG1303 source "lines" feeds a keyed operator (as stream "human-clicks") but has no eventTime; add eventTime: (e) => e.ts to @Source('lines')`,
    ]);
  });

  it('SG2002: a branch that is neither read nor copied', () => {
    const job = forked().replace(`@Sink('bots', { stream: 'bot-clicks' })`, '');
    expect(diagnosticsOf(job)).toEqual([
      `9:47 SG2002 stream "bot-clicks" of stage "bots" is written but never read: its elements would be dropped; read it in the operator or in another stage, or copy it with @Sink('<name>', { stream: 'bot-clicks' })`,
    ]);
  });
});

/**
 * Clicks counted per user by the operator into stream `counts`, read by two chain
 * stages: `label` (to the main output's sink `labeled`) and `heavy` (copied to sink
 * `heavy`); `parts` replace the stages listed, the sinks, the extra classes and the job
 * options.
 */
const afterOperator = (
  parts: { stages?: string; sinks?: string; classes?: string; job?: string; heavy?: string } = {},
) => `
import { Chain, FilterElement, MapElement } from '@stream-gen/annotations';
export interface Count { user: string; clicks: number }
@Chain({ id: 'label', input: 'counts', output: 'labeled' })
export class Label {
  @MapElement()
  label(c: Count): string { return c.user + ':' + c.clicks; }
}
@Chain({ id: 'heavy', input: 'counts', output: 'heavy-counts' })
export class Heavy {
  @FilterElement()
  heavy(c: ${parts.heavy ?? 'Count'}): boolean { return c.clicks > 10; }
}
${parts.classes ?? ''}
@StreamJob(${parts.job ?? `{ name: 'J', stages: [${parts.stages ?? 'Label, Heavy'}] }`})
@Source<Click>('clicks', { eventTime: 'ts' })
${parts.sinks ?? `@Sink('labeled') @Sink('heavy', { stream: 'heavy-counts' })`}
@KeyedProcess({ input: 'clicks', output: 'counts' })
export class J {
  @State() private clicks!: ValueState<number>;
  @ProcessElement('clicks')
  @KeyBy('user')
  onClick(c: Click, ctx: ElementContext<Count>) { void c; void ctx; }
}
`;

/** A keyed stage reading `stream` (what `Count`s it gets), with `options` beside id and input. */
const keyedStage = (id: string, stream: string, options = '') => `
@KeyedProcess({ id: '${id}', input: '${stream}'${options} })
export class Stage_${id.replace(/-/g, '_')} {
  @ProcessElement('${stream}')
  @KeyBy('user')
  on(c: Count, ctx: ElementContext<Count>) { ctx.emit(c); }
}`;

describe('a stream read by two chain stages after the operator or a keyed stage', () => {
  it('accepts a branch to the main output and one copied; the main output is the main branch’s sink', () => {
    const result = analyzeSource(afterOperator());
    expect(result.diagnostics).toEqual([]);
    const graph = result.jobs[0].graph;
    expect(mainOutputSink(graph)).toBe('labeled');
    expect(outputTrees(graph).map((t) => [t.root, t.leaves, t.mains])).toEqual([
      ['counts', ['labeled', 'heavy-counts'], ['labeled']],
    ]);
    // the operator's output stream itself may be copied too
    const root = afterOperator({
      sinks: `@Sink('labeled') @Sink('heavy', { stream: 'heavy-counts' }) @Sink('all', { stream: 'counts' })`,
    });
    expect(diagnosticsOf(root)).toEqual([]);
  });

  it('accepts branches before a keyed stage (one leads to it) and after it (one to the main output)', () => {
    const before = afterOperator({
      classes: keyedStage('top', 'labeled-counts'),
      job: `{ name: 'J', output: 'top', stages: [Relabel, Heavy, Stage_top] }`,
      sinks: `@Sink('top') @Sink('heavy', { stream: 'heavy-counts' })`,
    }).replace(
      `@Chain({ id: 'label', input: 'counts', output: 'labeled' })
export class Label {
  @MapElement()
  label(c: Count): string { return c.user + ':' + c.clicks; }
}`,
      `@Chain({ id: 'relabel', input: 'counts', output: 'labeled-counts' })
export class Relabel {
  @MapElement()
  relabel(c: Count): Count { return c; }
}`,
    );
    expect(diagnosticsOf(before)).toEqual([]);
    // after the keyed stage: one branch to @StreamJob({ output }), one copied
    const after = afterOperator({
      classes: keyedStage('top', 'counts', `, output: 'tops'`),
      job: `{ name: 'J', output: 'labeled', stages: [Label, Heavy, Stage_top] }`,
    }).replace(/input: 'counts', output: '(labeled|heavy-counts)'/g, `input: 'tops', output: '$1'`);
    const result = analyzeSource(after);
    expect(result.diagnostics).toEqual([]);
    expect(mainOutputSink(result.jobs[0].graph)).toBe('labeled');
    expect(outputTrees(result.jobs[0].graph).map((t) => [t.root, t.writer?.id, t.mains])).toEqual([
      ['counts', undefined, []],
      ['tops', 'top', ['labeled']],
    ]);
  });

  it('SG1102: each branch’s steps take what the stream they read carries', () => {
    expect(diagnosticsOf(afterOperator({ heavy: 'string' }))).toEqual([
      `12:12 SG1102 filter step 'heavy' of stage "heavy" takes 'string', but receives 'Count' (what J emits)`,
    ]);
  });

  it('SG2002: two branches that would both be the main output', () => {
    expect(diagnosticsOf(afterOperator({ sinks: `@Sink('labeled') @Sink('heavy')` }))).toEqual([
      `9:48 SG2002 streams "labeled" (stage "label") and "heavy-counts" (stage "heavy") would both be the main output of job J: after the operator the one branch no sink copies goes to the main output; copy all but one with @Sink(name, { stream }), like @Sink('<name>', { stream: 'heavy-counts' })`,
    ]);
  });

  it('accepts every branch copied: then the job has no main output, as the runtime allows', () => {
    const sinks = `@Sink('a', { stream: 'labeled' }) @Sink('heavy', { stream: 'heavy-counts' })`;
    const result = analyzeSource(afterOperator({ sinks }));
    expect(result.diagnostics).toEqual([]);
    expect(mainOutputSink(result.jobs[0].graph)).toBeUndefined();
  });

  it('SG2002: a branch neither read by the next keyed stage nor copied', () => {
    const job = afterOperator({
      classes: keyedStage('top', 'heavy-counts'),
      job: `{ name: 'J', output: 'top', stages: [Label, Heavy, Stage_top] }`,
      sinks: `@Sink('top')`,
    });
    expect(diagnosticsOf(job)).toEqual([
      `4:48 SG2002 stream "labeled" of stage "label" is written but never read: its elements would be dropped; after the operator the branch through "heavy-counts" goes on to keyed stage "top", and the others go to sinks: read "labeled" in another stage, or copy it with @Sink('<name>', { stream: 'labeled' })`,
    ]);
  });

  it('SG2002: two branches leading to keyed stages', () => {
    const job = afterOperator({
      classes:
        keyedStage('top', 'heavy-counts') +
        keyedStage('second', 'labeled').replace(
          `@KeyBy('user')\n  on(c: Count`,
          `@KeyBy((s: string) => s)\n  on(c: string`,
        ),
      job: `{ name: 'J', output: 'top', stages: [Label, Heavy, Stage_top, Stage_second] }`,
      sinks: `@Sink('top')`,
    });
    expect(diagnosticsOf(job)).toEqual([
      `21:38 SG2002 streams "heavy-counts" and "labeled" of the stages after the operator lead to keyed stages "top" and "second"; one branch leads to the next keyed stage: read the output of "top" in "second", or copy "labeled" to a sink with @Sink('<name>', { stream: 'labeled' }) instead`,
    ]);
  });

  it('SG2002: a keyed stage reading a stream a chain stage reads too', () => {
    const job = afterOperator({
      classes: keyedStage('top', 'counts'),
      job: `{ name: 'J', output: 'top', stages: [Label, Heavy, Stage_top] }`,
      sinks: `@Sink('top') @Sink('l', { stream: 'labeled' }) @Sink('heavy', { stream: 'heavy-counts' })`,
    });
    expect(diagnosticsOf(job)).toEqual([
      `15:35 SG2002 stream "counts" is read by stages "heavy" and "top"; a keyed stage reads a stream no other stage reads: the end of a branch of the stages after the operator or a keyed stage`,
    ]);
  });

  it('SG1602: the main branch after the operator names no sink', () => {
    const sinks = `@Sink('label') @Sink('heavy', { stream: 'heavy-counts' })`;
    expect(diagnosticsOf(afterOperator({ sinks }))).toEqual([
      `4:48 SG1602 stream "labeled" of stage "label" is the operator's main output after its stages, but no sink is named "labeled" (declared sinks: "label", "heavy"); did you mean "label"?`,
    ]);
  });
});

import { analyzeSource, diagnosticsOf, HEADER_LINES } from './virtual-project';

/** One handler per input, each with its @KeyBy; all three give a string. */
const PER_INPUT = `  @ProcessElement('web')
  @KeyBy('user')
  onWeb(click: WebClick, ctx: ElementContext<number>) { void click; void ctx; }
  @ProcessElement('app')
  @KeyBy((c: AppClick) => c.userId)
  onApp(click: AppClick, ctx: ElementContext<number>) { void click; void ctx; }
  @ProcessElement('tv')
  @KeyBy((c: TvClick) => String(c.account.id))
  onTv(click: TvClick, ctx: ElementContext<number>) { void click; void ctx; }`;

/**
 * Clicks from three devices counted per user by one @Union; `parts` replace its
 * options, its handlers, the @StreamJob options or what comes before the job.
 */
const unionJob = (
  parts: { options?: string; handlers?: string; before?: string; job?: string } = {},
) => `
import { Chain, MapElement, Union } from '@stream-gen/annotations';
export interface WebClick { user: string; ts: number }
export interface AppClick { userId: string; ts: number }
export interface TvClick { account: { id: number }; ts: number }
${parts.before ?? ''}
@StreamJob(${parts.job ?? `{ name: 'AllClicks', deadLetters: 'dead-letters' }`})
@Source<WebClick>('web', { eventTime: 'ts' })
@Source<AppClick>('app', { eventTime: 'ts' })
@Source<TvClick>('tv', { eventTime: 'ts' })
@Sink('counts')
@Sink('dead-letters')
@Union(${parts.options ?? `{ inputs: ['web', 'app', 'tv'], output: 'counts' }`})
export class AllClicks {
  @State() private count!: ValueState<number>;
${parts.handlers ?? PER_INPUT}
}
`;

/** Clicks of one type from two sources, handled by one `@ProcessElement()` of every input. */
const oneHandler = (
  handler = `  @ProcessElement()
  @KeyBy('user')
  onClick(click: Click, ctx: ElementContext<number>) { void click; void ctx; }`,
) => `
import { Union } from '@stream-gen/annotations';
@StreamJob({ name: 'Clicks' })
@Source<Click>('web', { eventTime: 'ts' })
@Source<Click>('app', { eventTime: 'ts' })
@Sink('counts')
@Union({ inputs: ['web', 'app'], output: 'counts' })
export class Clicks {
${handler}
}
`;

describe('@Union', () => {
  it('accepts one handler per input, each keyed by a string', () => {
    const result = analyzeSource(unionJob());
    expect(result.diagnostics).toEqual([]);
    const op = result.jobs[0].graph.operator;
    expect(op?.kind).toBe('union');
    expect(op?.inputs).toEqual(['web', 'app', 'tv']);
    expect(op?.handlers.map((h) => [h.source, h.method, h.key?.text, h.keyType])).toEqual([
      ['web', 'onWeb', '(e: WebClick) => e.user', 'string'],
      ['app', 'onApp', '(c: AppClick) => c.userId', 'string'],
      ['tv', 'onTv', '(c: TvClick) => String(c.account.id)', 'string'],
    ]);
  });

  it('accepts one @ProcessElement() for every input: a handler of each, on one method', () => {
    const result = analyzeSource(oneHandler());
    expect(result.diagnostics).toEqual([]);
    expect(result.jobs[0].graph.operator?.handlers.map((h) => [h.source, h.method])).toEqual([
      ['web', 'onClick'],
      ['app', 'onClick'],
    ]);
  });

  it('accepts a chain stage’s output as an input, its handler taking what the chain gives', () => {
    const chain = `@Chain({ id: 'label', input: 'tv', output: 'tv-labelled' })
export class Label {
  @MapElement()
  label(c: TvClick): TvClick { return c; }
}`;
    const job = `{ name: 'AllClicks', deadLetters: 'dead-letters', stages: [Label] }`;
    const options = `{ inputs: ['web', 'app', 'tv-labelled'], output: 'counts' }`;
    const handlers = PER_INPUT.replace(`@ProcessElement('tv')`, `@ProcessElement('tv-labelled')`);
    const result = analyzeSource(unionJob({ before: chain, job, options, handlers }));
    expect(result.diagnostics).toEqual([]);
    expect(result.jobs[0].graph.operator?.inputs).toEqual(['web', 'app', 'tv-labelled']);
  });

  it('SG1101: a union of fewer than two inputs, or an input listed twice', () => {
    expect(diagnosticsOf(unionJob({ options: `{ inputs: ['web'], output: 'counts' }` }))).toEqual([
      `9:19 SG1103 source "app" is not an input of @Union; read it or remove it`,
      `10:18 SG1103 source "tv" is not an input of @Union; read it or remove it`,
      `13:1 SG1101 @Union needs two or more different inputs, like inputs: ['web', 'app']; got "web"`,
      `19:3 SG1103 @ProcessElement('app') reads a source that is not an input of @Union`,
      `22:3 SG1103 @ProcessElement('tv') reads a source that is not an input of @Union`,
    ]);
    const twice = `{ inputs: ['web', 'app', 'tv', 'app'], output: 'counts' }`;
    expect(diagnosticsOf(unionJob({ options: twice }))).toEqual([
      `13:39 SG1101 @Union input "app" is listed twice; list each stream once`,
    ]);
  });

  it('SG1101: an input without a handler; SG1103 / SG1601: a handler of a stream the union does not read', () => {
    const options = `{ inputs: ['web', 'app'], output: 'counts' }`;
    const withoutTv = unionJob({ options, handlers: PER_INPUT.split('\n').slice(0, 6).join('\n') });
    expect(diagnosticsOf(withoutTv.replace(`'web', 'app']`, `'web', 'app', 'tv']`))).toEqual([
      `13:33 SG1101 @Union input "tv" has no handler: add a method with @ProcessElement('tv')`,
    ]);
    expect(diagnosticsOf(unionJob({ options }))).toEqual([
      `10:18 SG1103 source "tv" is not an input of @Union; read it or remove it`,
      `22:3 SG1103 @ProcessElement('tv') reads a source that is not an input of @Union`,
    ]);
    const cable = unionJob({
      handlers: `${PER_INPUT}\n  @ProcessElement('cable')\n  @KeyBy('user')\n  onCable(click: WebClick) { void click; }`,
    });
    expect(diagnosticsOf(cable)).toEqual([
      `25:3 SG1601 @ProcessElement('cable') refers to unknown source "cable" (sources: "web", "app", "tv")`,
    ]);
  });

  it('SG1305: inputs keyed by different key types, per handler or per input of one handler', () => {
    const byNumber = PER_INPUT.replace('String(c.account.id)', 'c.account.id');
    expect(diagnosticsOf(unionJob({ handlers: byNumber }))).toEqual([
      `23:10 SG1305 input "tv" is keyed by number ('onTv'), but input "web" by string ('onWeb'): the inputs of @Union share key, state and timers, so every @KeyBy must give one type; convert one, e.g. with String(...)`,
    ]);
    // one field path, read from each input's element type
    const files = `export interface AppClick { user: number; ts: number }\nexport type AnyClick = Click | AppClick;\n`;
    const mixed = oneHandler(`  @ProcessElement()
  @KeyBy('user')
  onClick(click: AnyClick, ctx: ElementContext<number>) { void click; void ctx; }`)
      .replace(`@Source<Click>('app'`, `@Source<AppClick>('app'`)
      .replace('@StreamJob', `${files}@StreamJob`);
    expect(diagnosticsOf(mixed)).toEqual([
      `12:10 SG1305 input "app" is keyed by number ('onClick'), but input "web" by string ('onClick'): the inputs of @Union share key, state and timers, so every @KeyBy must give one type; convert one, e.g. with String(...)`,
    ]);
  });

  it('SG1305: the two inputs of a @CoProcess keyed by different key types', () => {
    const join = `
@StreamJob({ name: 'Join' })
@Source<Click>('a', { eventTime: 'ts' })
@Source<Click>('b', { eventTime: 'ts' })
@Sink('out')
@CoProcess({ inputs: ['a', 'b'], output: 'out' })
export class Join {
  @ProcessElement('a') @KeyBy('user') onA(c: Click) { void c; }
  @ProcessElement('b') @KeyBy((c: Click) => c.ts) onB(c: Click) { void c; }
}
`;
    expect(diagnosticsOf(join)).toEqual([
      `9:31 SG1305 input "b" is keyed by number ('onB'), but input "a" by string ('onA'): the inputs of @CoProcess share key, state and timers, so every @KeyBy must give one type; convert one, e.g. with String(...)`,
    ]);
  });

  it('SG1102: a handler whose element type does not take what its input carries', () => {
    const wrong = PER_INPUT.replace('onTv(click: TvClick', 'onTv(click: WebClick');
    expect(diagnosticsOf(unionJob({ handlers: wrong }))).toEqual([
      `24:15 SG1102 handler 'onTv' takes 'WebClick', but source "tv" carries 'TvClick' (@Source<TvClick>): 'TvClick' has no field 'user'`,
    ]);
    // the handler of every input is checked against each of them
    const narrow = oneHandler().replace(`@Source<Click>('app'`, `@Source<AppClick>('app'`);
    const appClick = `export interface AppClick { userId: string; ts: number }\n`;
    expect(diagnosticsOf(narrow.replace('@StreamJob', `${appClick}@StreamJob`))).toEqual([
      `12:18 SG1102 handler 'onClick' takes 'Click', but source "app" carries 'AppClick' (@Source<AppClick>): 'AppClick' has no field 'user'`,
    ]);
  });

  it('SG1302 once for a handler of every input without @KeyBy; SG1103 for @ProcessElement() outside a @Union', () => {
    const unkeyed = `  @ProcessElement()\n  onClick(click: Click, ctx: ElementContext<number>) { void click; void ctx; }`;
    expect(diagnosticsOf(oneHandler(unkeyed))).toEqual([
      `9:3 SG1302 handler 'onClick' of keyed input "web" needs @KeyBy(...) to say what its key is`,
    ]);
    const keyed = oneHandler().replace(
      `@Union({ inputs: ['web', 'app'], output: 'counts' })`,
      `@KeyedProcess({ input: 'web', output: 'counts' })`,
    );
    expect(diagnosticsOf(keyed)).toEqual([
      `5:16 SG1103 source "app" is not an input of @KeyedProcess; read it or remove it`,
      `7:24 SG1101 @KeyedProcess input "web" has no handler: add a method with @ProcessElement('web')`,
      `9:3 SG1103 @ProcessElement() without a source handles every input of a @Union, and Clicks is not one: name the source 'onClick' handles, like @ProcessElement('events')`,
    ]);
  });

  it('SG1104: @Union with another operator decorator; SG2003: a @Union listed as a stage', () => {
    const both = unionJob().replace(
      'export class AllClicks',
      `@KeyedProcess({ input: 'web' })\nexport class AllClicks`,
    );
    expect(diagnosticsOf(both)).toEqual([
      `14:1 SG1104 a class is one operator: @KeyedProcess is a second operator decorator on AllClicks, after @Union on line ${13 + HEADER_LINES}; remove one`,
    ]);
    const merge = `@Union({ inputs: ['web', 'app'] })
export class Merge {
  @ProcessElement()
  @KeyBy('user')
  onClick(click: Click) { void click; }
}`;
    const job = `{ name: 'AllClicks', deadLetters: 'dead-letters', stages: [Merge] }`;
    expect(diagnosticsOf(unionJob({ before: merge, job }))).toEqual([
      `12:71 SG2003 Merge is listed in @StreamJob stages but is a @Union, which only a job's operator can be for now: put @Union on the job class, or make Merge a keyed stage of one input with @KeyedProcess({ id, input })`,
    ]);
  });
});

import { diagnosticsOf } from './virtual-project';

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

import { diagnosticsOf } from './virtual-project';

/** Raw lines -> parse (flatMap) -> clicks, counted per user; `stage` and `job` replace parts. */
const chainJob = (parts: { stage?: string; chain?: string; stages?: string; op?: string } = {}) => `
import { Chain, FilterElement, FlatMapElement, MapElement } from '@stream-gen/annotations';
export interface Line { text: string }
${
  parts.stage ??
  `@Chain(${parts.chain ?? `{ id: 'parse', input: 'lines', output: 'clicks' }`})
export class Parse {
  @FlatMapElement()
  split(line: Line): Click[] { return []; }
  @FilterElement()
  real(c: Click): boolean { return c.user !== 'bot'; }
}`
}
@StreamJob({ name: 'J', stages: [${parts.stages ?? 'Parse'}] })
@Source('lines', { eventTime: 'ts' })
@Sink('out')
@KeyedProcess(${parts.op ?? `{ input: 'clicks', output: 'out' }`})
export class J {
  @ProcessElement('clicks')
  @KeyBy('user')
  onClick(c: Click, ctx: ElementContext<Click>) { ctx.emit(c); }
}
`;

describe('chain stages', () => {
  it('accepts a chain from a source to the operator', () => {
    expect(diagnosticsOf(chainJob())).toEqual([]);
  });

  it('a type-guard filter narrows what it passes on', () => {
    const stage = `export type Entry = Click | { heartbeat: true };
@Chain({ id: 'parse', input: 'lines', output: 'clicks' })
export class Parse {
  @FlatMapElement()
  split(line: Line): Entry[] { return []; }
  @FilterElement()
  isClick(e: Entry): e is Click { return 'user' in e; }
}`;
    expect(diagnosticsOf(chainJob({ stage }))).toEqual([]);
    expect(
      diagnosticsOf(chainJob({ stage: stage.replace('): e is Click', '): boolean') })),
    ).toEqual([
      `13:31 SG1304 eventTime of source "lines": 'Entry' has no field 'ts'`,
      `19:14 SG1102 handler 'onClick' takes 'Click', but stream "clicks" carries 'Entry' (stage "parse"): 'Entry' is not assignable to 'Click'`,
    ]);
  });

  it('SG1102: a step that does not take what the step before gives', () => {
    const stage = `@Chain({ id: 'parse', input: 'lines', output: 'clicks' })
export class Parse {
  @MapElement()
  toText(line: Line): string { return line.text; }
  @MapElement()
  toClick(line: Line): Click { return { user: line.text, ts: 0 }; }
}`;
    expect(diagnosticsOf(chainJob({ stage }))).toEqual([
      `9:17 SG1102 map step 'toClick' of stage "parse" takes 'Line', but receives 'string' (stage "parse")`,
    ]);
  });

  it('SG1102: a flatMap that returns no iterable, a filter that returns no boolean, a Promise', () => {
    const stage = `@Chain({ id: 'parse', input: 'lines', output: 'clicks' })
export class Parse {
  @FilterElement()
  some(line: Line): number { return 1; }
  @FlatMapElement()
  one(line: Line): Click { return { user: line.text, ts: 0 }; }
}
@Chain({ id: 'later', input: 'x', output: 'y' })
export class Later {
  @MapElement()
  async fetch(c: Click): Promise<Click> { return c; }
}`;
    expect(diagnosticsOf(chainJob({ stage, stages: 'Parse, Later' }))).toEqual([
      `7:21 SG1102 filter step 'some' of stage "parse" must return a boolean, not 'number'`,
      `9:20 SG1102 flatMap step 'one' of stage "parse" must return an array or Iterable of elements, not 'Click'`,
      `11:30 SG2002 stage "later" reads stream "x", which nothing writes (sources and stage outputs: "lines", "clicks", "y")`,
      `11:43 SG2002 stream "y" of stage "later" is written but never read: its elements would be dropped; read it in the operator or in another stage, or copy it with @Sink('<name>', { stream: 'y' })`,
    ]);
  });

  it('SG1102: a handler whose parameter does not take the stream’s element type', () => {
    const stage = `@Chain({ id: 'parse', input: 'lines', output: 'clicks' })
export class Parse {
  @MapElement()
  toLine(line: Line): Line { return line; }
}`;
    expect(diagnosticsOf(chainJob({ stage }))).toEqual([
      `10:31 SG1304 eventTime of source "lines": 'Line' has no field 'ts'`,
      `16:14 SG1102 handler 'onClick' takes 'Click', but stream "clicks" carries 'Line' (stage "parse"): 'Line' has no field 'user'; 'Line' has no field 'ts'`,
    ]);
  });

  it('SG2002: a stream nothing writes, with the near name; written twice', () => {
    expect(
      diagnosticsOf(chainJob({ chain: `{ id: 'parse', input: 'line', output: 'clicks' }` })),
    ).toEqual([
      `4:30 SG2002 stage "parse" reads stream "line", which nothing writes (sources and stage outputs: "lines", "clicks"); did you mean "lines"?`,
    ]);
    const twice = `${chainJob()}
@Chain({ id: 'again', input: 'lines', output: 'clicks' })
export class Again {
  @FilterElement()
  all(line: Line): boolean { return true; }
}`.replace('stages: [Parse]', 'stages: [Parse, Again]');
    expect(diagnosticsOf(twice)).toEqual([
      `21:47 SG2002 stream "clicks" is written twice: by stage "parse" and by stage "again"`,
    ]);
  });

  it('SG2002: a cycle, and a stage output nothing reads', () => {
    const stage = `@Chain({ id: 'parse', input: 'lines', output: 'clicks' })
export class Parse {
  @FlatMapElement()
  split(line: Line): Click[] { return []; }
}
@Chain({ id: 'a', input: 'b-out', output: 'a-out' })
export class A {
  @FilterElement()
  f(c: Click): boolean { return true; }
}
@Chain({ id: 'b', input: 'a-out', output: 'b-out' })
export class B {
  @FilterElement()
  f(c: Click): boolean { return true; }
}`;
    expect(diagnosticsOf(chainJob({ stage, stages: 'Parse, A, B' }))).toEqual([
      `9:26 SG2002 stage "a" is in a cycle: no source feeds stream "b-out"`,
      `14:26 SG2002 stage "b" is in a cycle: no source feeds stream "a-out"`,
    ]);
    const unread = chainJob({ chain: `{ id: 'parse', input: 'lines', output: 'parsed' }` });
    expect(diagnosticsOf(unread)).toEqual([
      `4:47 SG2002 stream "parsed" of stage "parse" is written but never read: its elements would be dropped; read it in the operator or in another stage, or copy it with @Sink('<name>', { stream: 'parsed' })`,
      `12:9 SG1103 source "lines" is not an input of @KeyedProcess; read it or remove it`,
      `14:24 SG1601 @KeyedProcess input "clicks" is not a declared source (streams: "lines", "parsed")`,
    ]);
  });

  it('SG2001, SG2003: duplicate ids, a class that is no stage, state in a chain stage, no steps', () => {
    const stage = `@Chain({ id: 'parse', input: 'lines', output: 'mid' })
export class Parse {
  @FlatMapElement()
  split(line: Line): Click[] { return []; }
  @State() seen!: ValueState<number>;
}
@Chain({ id: 'parse', input: 'mid', output: 'clicks' })
export class Empty {}
export class Plain {}`;
    expect(diagnosticsOf(chainJob({ stage, stages: 'Parse, Empty, Plain' }))).toEqual([
      `8:3 SG2003 @State in @Chain stage Parse, a stage that is not keyed: make the class a keyed stage with @KeyedProcess({ id, input }), or move it to the job's keyed operator`,
      `10:1 SG2003 @Chain stage Empty has no steps: mark its methods @FilterElement(), @MapElement() or @FlatMapElement()`,
      `10:14 SG2001 stage id "parse" is used by Parse and Empty; stage ids name state and outputs, so each must be unique`,
      `13:48 SG2003 Plain is listed in @StreamJob stages but is not a stage: add @Chain({ id, input, output }) to it, or @KeyedProcess({ id, input }) for a keyed stage`,
    ]);
  });
});

describe('chain stages after the operator', () => {
  const enrichJob = (stage: string, output = 'raw') => `
import { AsyncEnrich, Chain, MapElement } from '@stream-gen/annotations';
export interface Labeled { user: string; label: string }
${stage}
@StreamJob({ name: 'E', stages: [Label] })
@Source<Click>('clicks')
@Sink('labeled')
export class E {
  @AsyncEnrich({ source: 'clicks', output: '${output}', concurrency: 2 })
  async enrich(c: Click): Promise<Click> { return c; }
}
`;
  const label = (
    takes: string,
    output = 'labeled',
  ) => `@Chain({ id: 'label', input: 'raw', output: '${output}' })
export class Label {
  @MapElement()
  name(c: ${takes}): Labeled { return { user: 'u', label: 'l' }; }
}`;

  it('accepts stages reading the operator output, their last output a sink', () => {
    expect(diagnosticsOf(enrichJob(label('Click')))).toEqual([]);
  });

  it('SG1102: a first step that does not take what the operator emits', () => {
    expect(diagnosticsOf(enrichJob(label('Labeled')))).toEqual([
      `7:11 SG1102 map step 'name' of stage "label" takes 'Labeled', but receives 'Click' (what E emits)`,
    ]);
  });

  it('SG1602: the last stage after the operator must name a sink', () => {
    expect(diagnosticsOf(enrichJob(label('Click', 'labeld')))).toEqual([
      `4:45 SG1602 stream "labeld" of stage "label" is the operator's main output after its stages, but no sink is named "labeld" (declared sinks: "labeled"); did you mean "labeled"?`,
    ]);
  });
});

import { analyzeSource, diagnosticsOf, HEADER_LINES } from './virtual-project';

/**
 * Clicks enriched by a service, then labeled by a chain stage after the operator from
 * its lookup table; `members` replace the stage's loader, `stage` the whole stage.
 */
const lookupJob = (parts: { members?: string; stage?: string } = {}) => `
import { AsyncEnrich, Chain, LookupTable, MapElement } from '@stream-gen/annotations';
export interface Labeled { user: string; label: string }
${
  parts.stage ??
  `@Chain({ id: 'label', input: 'raw', output: 'labeled' })
export class Label {
  private labels = new Map<string, string>();
  ${
    parts.members ??
    `@LookupTable({ refresh: '1m' })
  async loadLabels(): Promise<void> { this.labels = new Map(); }`
  }
  @MapElement()
  name(c: Click): Labeled { return { user: c.user, label: this.labels.get(c.user) ?? '' }; }
}`
}
@StreamJob({ name: 'E', stages: [Label] })
@Source<Click>('clicks')
@Sink('labeled')
export class E {
  @AsyncEnrich({ source: 'clicks', output: 'raw', concurrency: 2 })
  async enrich(c: Click): Promise<Click> { return c; }
}
`;

describe('lookup tables of chain stages', () => {
  it('are accepted on a @Chain class, and analyzed into its stage', () => {
    const { jobs, diagnostics } = analyzeSource(lookupJob());
    expect(diagnostics).toEqual([]);
    expect(jobs[0].graph.stages[0].lookups).toEqual([
      {
        method: 'loadLabels',
        refreshMs: 60_000,
        location: expect.objectContaining({ line: 7 + HEADER_LINES }),
      },
    ]);
  });

  it('SG1002: a @LookupTable without refresh', () => {
    const members = `@LookupTable({} as { refresh: string })
  async loadLabels(): Promise<void> {}`;
    expect(diagnosticsOf(lookupJob({ members }))).toEqual([
      `7:3 SG1002 @LookupTable on 'loadLabels' needs refresh, like '5m'`,
    ]);
  });

  it('SG1002: a refresh that is no duration', () => {
    const members = `@LookupTable({ refresh: 'often' })
  async loadLabels(): Promise<void> {}`;
    expect(diagnosticsOf(lookupJob({ members }))).toEqual([
      `7:27 SG1002 @LookupTable refresh: "often" is not a duration: use milliseconds or a string like '10s', '5m', '1h'`,
    ]);
  });

  it('SG1102: a loader that takes parameters', () => {
    const members = `@LookupTable({ refresh: '1m' })
  async loadLabels(region: string): Promise<void> { void region; }`;
    expect(diagnosticsOf(lookupJob({ members }))).toEqual([
      `8:9 SG1102 lookup loader 'loadLabels' must take no parameters: load(): Promise<void>`,
    ]);
  });

  it('SG1102: a loader that returns its table instead of storing it', () => {
    const members = `@LookupTable({ refresh: '1m' })
  async loadLabels(): Promise<Map<string, string>> { return new Map(); }`;
    expect(diagnosticsOf(lookupJob({ members }))).toEqual([
      `8:23 SG1102 lookup loader 'loadLabels' returns 'Promise<Map<string, string>>', which nothing reads: store the table in a field of the class (this.table = ...) and return Promise<void>`,
    ]);
  });

  it('SG2003: a method that is both the loader and a step', () => {
    const stage = `@Chain({ id: 'label', input: 'raw', output: 'labeled' })
export class Label {
  @LookupTable({ refresh: '1m' })
  @MapElement()
  name(c: Click): Labeled { return { user: c.user, label: '' }; }
}`;
    expect(diagnosticsOf(lookupJob({ stage }))).toEqual([
      `6:3 SG2003 'name' is both a @LookupTable loader and a map step of stage Label: a loader fills the table the steps read; make them two methods`,
    ]);
  });

  it('SG1002: a @LookupTable of a keyed operator or of a job without an operator, with the place it belongs', () => {
    const keyed = `@StreamJob({ name: 'K' })
@Source('clicks', { eventTime: 'ts' })
@Sink('out')
@KeyedProcess({ input: 'clicks', output: 'out' })
export class K {
  @LookupTable({ refresh: '1m' })
  async loadLabels(): Promise<void> {}
  @ProcessElement('clicks')
  @KeyBy('user')
  onClick(c: Click, ctx: ElementContext<Click>) { ctx.emit(c); }
}`;
    const where =
      'is only supported in an @AsyncEnrich job or a @Chain stage for now: move it, with the step that reads its table, to a @Chain stage listed in @StreamJob({ stages })';
    expect(
      diagnosticsOf(`import { LookupTable } from '@stream-gen/annotations';\n${keyed}`),
    ).toEqual([`7:3 SG1002 @LookupTable 'loadLabels' ${where}`]);
    const stateless = `import { Chain, LookupTable, MapElement } from '@stream-gen/annotations';
@Chain({ id: 'copy', input: 'clicks', output: 'out' })
export class Copy {
  @MapElement()
  copy(c: Click): Click { return c; }
}
@StreamJob({ name: 'S', stages: [Copy] })
@Source<Click>('clicks')
@Sink('out')
export class S {
  @LookupTable({ refresh: '1m' })
  async loadLabels(): Promise<void> {}
}`;
    expect(diagnosticsOf(stateless)).toEqual([`11:3 SG1002 @LookupTable 'loadLabels' ${where}`]);
  });
});

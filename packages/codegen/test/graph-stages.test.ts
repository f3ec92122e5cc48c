import { renderGraph } from '../src';
import { analyzeSource } from './virtual-project';

const job = `
import { Chain, FilterElement, FlatMapElement } from '@stream-gen/annotations';
export interface Line { text: string }
@Chain({ id: 'parse', input: 'lines', output: 'parsed' })
export class Parse {
  @FlatMapElement() split(line: Line): Click[] { return []; }
}
@Chain({ id: 'real', input: 'parsed', output: 'clicks' })
export class Real {
  @FilterElement() human(c: Click): boolean { return c.user !== 'bot'; }
}
@StreamJob({ name: 'Copy', stages: [Real, Parse] })
@Source('lines')
@Sink('out')
export class Copy {}
`;

it('draws chain stages between the source and the sink of a job without an operator', () => {
  const result = analyzeSource(job);
  expect(result.diagnostics).toEqual([]);
  expect(renderGraph(result.jobs[0].graph, 'mermaid').split('\n')).toEqual([
    'flowchart LR',
    '  source_lines[/"lines"/]',
    '  sink_out[("out")]',
    '  stage_real("real: Real (filter)")',
    '  stage_parse("parse: Parse (flatMap)")',
    '  stage_parse -->|"parsed"| stage_real',
    '  source_lines -->|"lines"| stage_parse',
    '  stage_real --> sink_out',
  ]);
});

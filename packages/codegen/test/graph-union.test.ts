import { renderGraph } from '../src';
import { analyzeSource } from './virtual-project';

const job = `
import { Union } from '@stream-gen/annotations';
export interface AppClick { userId: string; ts: number }
export interface UserCount { user: string; count: number }
@KeyedProcess({ id: 'busiest', input: 'user-counts' })
export class Busiest {
  @ProcessElement('user-counts')
  @KeyBy((c: UserCount) => c.count)
  onCount(count: UserCount, ctx: ElementContext<UserCount>) { ctx.emit(count); }
}
@StreamJob({ name: 'AllClicks', stages: [Busiest] })
@Source<Click>('web', { eventTime: 'ts' })
@Source<AppClick>('app', { eventTime: 'ts' })
@Sink('busiest')
@Sink('counts', { stream: 'user-counts' })
@Union({ inputs: ['web', 'app'], output: 'user-counts' })
export class CountClicks {
  @ProcessElement('web')
  @KeyBy('user')
  onWeb(click: Click, ctx: ElementContext<UserCount>) { ctx.emit({ user: click.user, count: 1 }); }
  @ProcessElement('app')
  @KeyBy('userId')
  onApp(click: AppClick, ctx: ElementContext<UserCount>) { ctx.emit({ user: click.userId, count: 1 }); }
}
`;

it('draws an edge per input of a union, and the copy of the stream a keyed stage reads to its sink', () => {
  const result = analyzeSource(job);
  expect(result.diagnostics).toEqual([]);
  const graph = result.jobs[0].graph;
  expect(renderGraph(graph, 'mermaid').split('\n')).toEqual([
    'flowchart LR',
    '  source_web[/"web"/]',
    '  source_app[/"app"/]',
    '  sink_busiest[("busiest")]',
    '  sink_counts[("counts")]',
    '  op_CountClicks["CountClicks (keyed union)"]',
    '  stage_busiest["busiest: Busiest (keyed process)"]',
    '  source_web -->|"keyBy (e: Click) => e.user"| op_CountClicks',
    '  source_app -->|"keyBy (e: AppClick) => e.userId"| op_CountClicks',
    '  op_CountClicks -.->|"AllClicks.busiest.repartition"| stage_busiest',
    '  op_CountClicks -->|"user-counts"| sink_counts',
    '  stage_busiest --> sink_busiest',
  ]);
  expect(renderGraph(graph, 'dot').split('\n')).toContain(
    '  op_CountClicks -> sink_counts [label="user-counts"];',
  );
});

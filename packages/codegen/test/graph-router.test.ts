import { renderTopology } from '../src/emit/graph.emitter';
import { routerTopology } from '../src/router/router-graph';
import { analyzeRouterSource } from './router-fixture';

const ROUTER = `router: PlayEventsRouter
source: { topic: play_events, type: PlayEvent }
routes:
  - name: us
    filter: country == "US"
    project: [profileId, titleId]
    sink: { kind: kafka, topic: us_plays }
  - name: table
    sink: { kind: postgres, table: plays }
    isolated: true
`;

describe('stream-gen graph of a router', () => {
  it('draws the topic, a stage per route, each route sink and the dead letters', () => {
    const [router] = analyzeRouterSource(ROUTER).routers;
    expect(renderTopology(routerTopology(router.config), 'dot').split('\n')).toEqual([
      'digraph "PlayEventsRouter" {',
      '  rankdir=LR;',
      '  source [label="play_events (PlayEvent)", shape=cds];',
      '  sink_dead_letters [label="PlayEventsRouter.dead-letters", shape=cylinder];',
      `  route_us [label="us: filter country == 'US' → project profileId, titleId", shape=component];`,
      '  sink_us [label="kafka us_plays", shape=cylinder];',
      '  route_table [label="table, isolated job: as it is", shape=component];',
      '  sink_table [label="postgres plays", shape=cylinder];',
      '  source -> route_us;',
      '  route_us -> sink_us;',
      '  route_us -> sink_dead_letters [label="dead letters"];',
      '  source -> route_table;',
      '  route_table -> sink_table;',
      '  route_table -> sink_dead_letters [label="dead letters"];',
      '}',
    ]);
  });
});

import type { Edge, GraphNode, Topology } from '../emit/graph.emitter';
import type { RouterConfig } from './router-model';

/**
 * A router drawn as its jobs run it: the source topic, a stage per route (its filter and
 * projection), each route's sink by kind and target, and the dead letters; an isolated
 * route is marked, as it runs as a job of its own.
 */
export function routerTopology(router: RouterConfig): Topology {
  const nodes: GraphNode[] = [
    { id: 'source', label: `${router.source.topic} (${router.source.type})`, kind: 'source' },
    { id: 'sink_dead_letters', label: `${router.name}.dead-letters`, kind: 'sink' },
  ];
  const edges: Edge[] = [];
  for (const route of router.routes) {
    const steps = [
      ...(route.filter ? [`filter ${oneLine(route.filter.text)}`] : []),
      ...(route.project ? [`project ${route.project.map((f) => f.name).join(', ')}`] : []),
    ];
    const isolated = route.isolated ? ', isolated job' : '';
    nodes.push({
      id: `route_${route.name}`,
      label: `${route.name}${isolated}: ${steps.join(' → ') || 'as it is'}`,
      kind: 'stage',
    });
    const { kind, settings } = route.sink;
    const target = Object.entries(settings)
      .filter(([key]) => ['topic', 'table', 'stream', 'hash', 'url', 'path'].includes(key))
      .map(([, value]) => String(value))
      .join(' ');
    nodes.push({
      id: `sink_${route.name}`,
      label: `${kind}${target ? ` ${target}` : ''}`,
      kind: 'sink',
    });
    edges.push(
      { from: 'source', to: `route_${route.name}` },
      { from: `route_${route.name}`, to: `sink_${route.name}` },
      { from: `route_${route.name}`, to: 'sink_dead_letters', label: 'dead letters' },
    );
  }
  return { name: router.name, nodes, edges };
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

import type { SinkConnector } from '../connectors/connector';
import { HttpSink } from '../connectors/http.sink';
import { JsonlFileSink } from '../connectors/jsonl-file.connectors';
import { NullSink } from '../connectors/null.sink';
import { PostgresSink } from '../connectors/postgres.sink';
import { RedisSink } from '../connectors/redis.sink';
import { routeSinkName, type RouteSpec } from './router-spec';

/**
 * The connector of each route whose sink is not a topic; kafka routes are topics of
 * the job, written like every job's sinks. Made anew per job run, so a restart opens
 * fresh connections.
 */
export function routeConnectors(
  routes: readonly RouteSpec[],
  env: NodeJS.ProcessEnv,
  /** File sinks append (a router on Kafka, restarted) or start empty (a bounded file run, which starts over). */
  files: { readonly append: boolean },
): Record<string, SinkConnector> {
  const connectors: Record<string, SinkConnector> = {};
  for (const route of routes) {
    const name = routeSinkName(route);
    const sink = route.sink;
    switch (sink.kind) {
      case 'kafka':
        break;
      case 'postgres':
        connectors[name] = new PostgresSink(name, sink, env);
        break;
      case 'redis':
        connectors[name] = new RedisSink(name, sink, env);
        break;
      case 'http':
        connectors[name] = new HttpSink(name, sink);
        break;
      case 'file':
        connectors[name] = new JsonlFileSink(name, sink.path, files);
        break;
      case 'null':
        connectors[name] = new NullSink(name);
        break;
    }
  }
  return connectors;
}

/** The topic of each kafka route. */
export function routeTopics(routes: readonly RouteSpec[]): Record<string, string> {
  const topics: Record<string, string> = {};
  for (const route of routes) {
    if (route.sink.kind === 'kafka') topics[routeSinkName(route)] = route.sink.topic;
  }
  return topics;
}

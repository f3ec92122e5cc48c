import type { SinkConnector } from '../connectors/connector';
import type { BrokerProducer } from '../connectors/kafka/broker-client';
import { KafkaSink } from '../connectors/kafka/kafka.sink';
import { KafkajsClient } from '../connectors/kafka/kafkajs.client';
import { HttpSink } from '../connectors/http.sink';
import { JsonlFileSink } from '../connectors/jsonl-file.connectors';
import { NullSink } from '../connectors/null.sink';
import { PostgresSink } from '../connectors/postgres.sink';
import { RedisSink } from '../connectors/redis.sink';
import { namespaceFrom } from '../runner/env-overrides';
import { ConfigurationError } from '../util/errors';
import type { Logger } from '../util/logger';
import { routeSinkName, type RouteSpec } from './router-spec';

/**
 * The connector of each route whose sink is not a topic of the source's cluster; kafka
 * routes to that cluster are topics of the job, written like every job's sinks, and
 * those to another cluster (`brokers`) the same sink through a producer of their own.
 * Made anew per job run, so a restart opens fresh connections.
 */
export function routeConnectors(
  routes: readonly RouteSpec[],
  env: NodeJS.ProcessEnv,
  /** File sinks append (a router on Kafka, restarted) or start empty (a bounded file run, which starts over). */
  files: { readonly append: boolean },
  logger: Logger,
): Record<string, SinkConnector> {
  const connectors: Record<string, SinkConnector> = {};
  for (const route of routes) {
    const name = routeSinkName(route);
    const sink = route.sink;
    switch (sink.kind) {
      case 'kafka':
        if (onAnotherCluster(route, env)) {
          const topic = namespaceFrom(env).topic(sink.topic);
          connectors[name] = otherClusterSink(name, topic, brokerList(name, sink.brokers!), logger);
        }
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

/**
 * The topic of each kafka route to the source's cluster; embedded (no `KAFKA_BROKERS`:
 * a file run, a test), every kafka route's, in the embedded log.
 */
export function routeTopics(
  routes: readonly RouteSpec[],
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const topics: Record<string, string> = {};
  for (const route of routes) {
    if (route.sink.kind === 'kafka' && !onAnotherCluster(route, env)) {
      topics[routeSinkName(route)] = route.sink.topic;
    }
  }
  return topics;
}

/**
 * A topic of another cluster: the runtime's Kafka sink, through a producer of that
 * cluster's own (connected when the sink opens, disconnected when it closes; plaintext,
 * as the source cluster's KAFKA_* settings are not this one's), compressed as
 * `STREAM_GEN_KAFKA_COMPRESSION` says for the route.
 */
function otherClusterSink(
  name: string,
  topic: string,
  brokers: readonly string[],
  logger: Logger,
): SinkConnector {
  const client = new KafkajsClient({ brokers, logger, clientId: `stream-gen-${name}` });
  let producer: Promise<BrokerProducer> | undefined;
  return new KafkaSink(name, topic, () => (producer ??= client.producer()), undefined, {
    where: `at ${brokers.join(',')}`,
    async release() {
      const open = producer;
      producer = undefined;
      if (open) await (await open).disconnect();
    },
  });
}

/** A kafka route naming its own brokers, on Kafka (embedded, it is a topic like the others). */
function onAnotherCluster(route: RouteSpec, env: NodeJS.ProcessEnv): boolean {
  return route.sink.kind === 'kafka' && route.sink.brokers !== undefined && !!env.KAFKA_BROKERS;
}

function brokerList(route: string, brokers: string | readonly string[]): string[] {
  const list = (typeof brokers === 'string' ? brokers.split(',') : [...brokers]).map((b) =>
    b.trim(),
  );
  const bad = list.filter((b) => !/^[^\s:,]+:\d+$/.test(b));
  if (list.length === 0 || bad.length > 0) {
    throw new ConfigurationError(
      `route ${route}: the brokers of its kafka sink must be host:port, got ${JSON.stringify(brokers)}`,
    );
  }
  return list;
}

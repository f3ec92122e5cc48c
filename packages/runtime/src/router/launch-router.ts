import type { RunSummary } from '../runner/job-runner';
import type { TaskStatus } from '../task/stream-task';
import { launchJob, type ObservedJob, type RunningJob } from '../runner/launch-job';
import { startStatusServer } from '../runner/status-server';
import type { RunBindings } from '../runner/run-bindings';
import { ConfigurationError } from '../util/errors';
import { defaultLogger, type Logger } from '../util/logger';
import { routeConnectors, routeTopics } from './route-connectors';
import { RouteMetrics, type RouteCounters } from './route-metrics';
import { routerJobs } from './router-jobs';
import { ROUTER_DEAD_LETTERS, routeSinkName, type RouteSpec, type RouterSpec } from './router-spec';

/**
 * Records a route's sink may hold not yet written while the other routes of its job
 * go on (then they wait for it); `STREAM_GEN_SINK_BUFFER_RECORDS` sets another bound.
 */
export const ROUTE_SINK_BUFFER_RECORDS = 10_000;

export interface RouterLaunchOptions {
  readonly bindings?: RunBindings;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  readonly checkpointIntervalMs?: number;
}

/** A running router: its jobs (shared and isolated) together, and its per-route counters. */
export interface RunningRouter extends RunningJob {
  /** Resolves when every job of the router ended; the summaries in job order. */
  runAll(): Promise<RunSummary[]>;
  routeMetrics(): Record<string, RouteCounters & { failed: number }>;
  /** The tasks of every job of the router. */
  status(): TaskStatus[];
}

/**
 * Runs a router the way generated code wants it, as jobs of the runtime: backends from
 * the environment (embedded unless KAFKA_BROKERS / REDIS_URL), `--source` / `--sink`
 * file bindings for a bounded run. The routes not marked isolated share one job, reading
 * the topic once; each isolated route is a job of its own (group `<router>-<route>`).
 * Kafka routes write their topics; the other sinks are connectors made from the file's
 * settings. Records are written at least once, each with its stable `stream-gen-id`.
 */
export function launchRouter(router: RouterSpec, options: RouterLaunchOptions = {}): RunningRouter {
  const env = options.env ?? process.env;
  const logger = options.logger ?? defaultLogger(router.name);
  const metrics = new RouteMetrics();
  if (options.bindings) checkBindings(router, options.bindings);
  const fileRun = Object.keys(options.bindings?.sourceFiles ?? {}).length > 0;
  const runs = routerJobs(router, metrics, logger, env).map(({ job, routes }, i) =>
    launchJob({
      job,
      sinks: [...Object.keys(routeTopics(routes, env)), ROUTER_DEAD_LETTERS],
      connectors: routeConnectors(routes, env, { append: !fileRun }, logger),
      topics: {
        sources: { [router.source.topic]: router.source.topic },
        sinks: {
          ...routeTopics(routes, env),
          [ROUTER_DEAD_LETTERS]: `${router.name}.dead-letters`,
        },
      },
      bindings: options.bindings && jobBindings(options.bindings, routes, i === 0),
      env: jobEnv(env, job.name, router.name, i === 0),
      logger,
      checkpointIntervalMs: options.checkpointIntervalMs,
      // a sink that fails is retried with backoff until it takes the records: never dropped
      sinkRetryMs: Number.POSITIVE_INFINITY,
      // a stalled sink holds the routes beside it back only once it has this many waiting
      sinkBufferRecords: ROUTE_SINK_BUFFER_RECORDS,
    }),
  );
  const runAll = async () => {
    try {
      return await Promise.all(runs.map((r) => r.run()));
    } catch (error) {
      await Promise.all(runs.map((r) => r.stop().catch(() => undefined)));
      throw error;
    } finally {
      for (const [route, c] of Object.entries(metrics.snapshot())) {
        logger.info(
          `route ${route}: ${c.in} in, ${c.filtered} filtered, ${c.out} out, ${c.failed} failed`,
        );
      }
    }
  };
  let all: Promise<RunSummary[]> | undefined;
  const port = env.STREAM_GEN_HTTP_PORT;
  const start = () =>
    port === undefined
      ? runAll()
      : withStatus(Number(port), router.name, logger, runs, metrics, runAll);
  return {
    runAll: () => (all ??= start()),
    async run() {
      const summaries = await (all ??= start());
      return summaries[0];
    },
    async stop() {
      await Promise.all(runs.map((r) => r.stop()));
    },
    routeMetrics: () => metrics.snapshot(),
    status: () => runs.flatMap((r) => r.status()),
  };
}

/**
 * The file bindings of one job of the router: its routes' sinks, and the dead letters
 * for the first job only (two jobs must not write one file); an isolated route's job
 * writes its dead letters to the file bound to `dead-letters.<route>`, if any.
 */
function jobBindings(
  bindings: RunBindings,
  routes: readonly RouteSpec[],
  first: boolean,
): RunBindings {
  const sinkFiles: Record<string, string> = {};
  for (const route of routes) {
    const file = bindings.sinkFiles[routeSinkName(route)];
    if (file !== undefined) sinkFiles[routeSinkName(route)] = file;
  }
  const deadLetters = first
    ? bindings.sinkFiles[ROUTER_DEAD_LETTERS]
    : bindings.sinkFiles[`${ROUTER_DEAD_LETTERS}.${routes[0].name}`];
  if (deadLetters !== undefined) sinkFiles[ROUTER_DEAD_LETTERS] = deadLetters;
  return { sourceFiles: bindings.sourceFiles, sinkFiles };
}

/** Every `--sink` name is a route, `dead-letters`, or `dead-letters.<isolated route>`. */
function checkBindings(router: RouterSpec, bindings: RunBindings): void {
  const names = [
    ...router.routes.map(routeSinkName),
    ROUTER_DEAD_LETTERS,
    ...router.routes.filter((r) => r.isolated).map((r) => `${ROUTER_DEAD_LETTERS}.${r.name}`),
  ];
  const unknown = Object.keys(bindings.sinkFiles).filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `router ${router.name} has no sink ${unknown.map((n) => `"${n}"`).join(', ')} (sinks: ${names.join(', ')})`,
    );
  }
}

/**
 * A job's environment: a group id given (`STREAM_GEN_GROUP_ID`) is the shared job's,
 * and an isolated route's job gets its own beside it (`<group>-<route>`), as two jobs in
 * one group would split the partitions between them; the status server
 * (`STREAM_GEN_HTTP_PORT`) is the first job's, as two cannot share a port.
 */
function jobEnv(
  env: NodeJS.ProcessEnv,
  job: string,
  router: string,
  first: boolean,
): NodeJS.ProcessEnv {
  if (first) return env;
  const { STREAM_GEN_HTTP_PORT: _port, ...rest } = env;
  const group = env.STREAM_GEN_GROUP_ID;
  return group ? { ...rest, STREAM_GEN_GROUP_ID: `${group}${job.slice(router.length)}` } : rest;
}

/** STREAM_GEN_HTTP_PORT: one /health and /metrics for all the router's jobs, with each route's counts. */
async function withStatus(
  port: number,
  name: string,
  logger: Logger,
  runs: readonly ObservedJob[],
  metrics: RouteMetrics,
  run: () => Promise<RunSummary[]>,
): Promise<RunSummary[]> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`STREAM_GEN_HTTP_PORT must be a port number, got "${port}"`);
  }
  const server = await startStatusServer(
    port,
    name,
    {
      // the shared job's counters (it reads what every route reads), every job's tasks
      get metrics() {
        return runs[0].metrics;
      },
      status: () => runs.flatMap((r) => r.status()),
      routeMetrics: () => metrics.snapshot(),
    },
    logger,
  );
  try {
    return await run();
  } finally {
    await server.close();
  }
}

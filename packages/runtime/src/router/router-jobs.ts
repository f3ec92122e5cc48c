import type { JobSpec } from '../job/job-spec';
import type { Logger } from '../util/logger';
import type { RouteMetrics } from './route-metrics';
import { routeStage } from './route-stage';
import { ROUTER_DEAD_LETTERS, routeSinkName, type RouteSpec, type RouterSpec } from './router-spec';

/** A job of a router: the routes it runs, reading the source once. */
export interface RouterJob {
  readonly job: JobSpec;
  readonly routes: readonly RouteSpec[];
}

/**
 * The jobs a router runs as (the talk's co-isolation): one job for all routes not
 * marked `isolated`, reading the topic once and fanning out in-process, and one job per
 * isolated route, named `<router>-<route>`, with its own consumer group.
 */
export function routerJobs(
  router: RouterSpec,
  metrics: RouteMetrics,
  logger: Logger,
  /** The router's environment: where scripts kept in Redis are read (`REDIS_URL`, ...). */
  env: NodeJS.ProcessEnv,
): RouterJob[] {
  const shared = router.routes.filter((r) => !r.isolated);
  const jobs: RouterJob[] = [];
  // the first job dead-letters records that are not of the source type, the others skip them
  const job = (name: string, routes: readonly RouteSpec[]) => ({
    job: routesJob(name, router, routes, { metrics, logger, env }, jobs.length === 0),
    routes,
  });
  if (shared.length > 0) jobs.push(job(router.name, shared));
  for (const route of router.routes.filter((r) => r.isolated)) {
    jobs.push(job(`${router.name}-${route.name}`, [route]));
  }
  return jobs;
}

/**
 * The source, and per route a chain stage (id: the route's name) that filters and
 * projects it into a stream of the route's name, copied to the route's sink. Output ids
 * are per route (`<topic>@<offset>.0><route>.0`), so a record routed twice has two.
 */
function routesJob(
  name: string,
  router: RouterSpec,
  routes: readonly RouteSpec[],
  { metrics, logger, env }: { metrics: RouteMetrics; logger: Logger; env: NodeJS.ProcessEnv },
  deadLetterRejected: boolean,
): JobSpec {
  return {
    name,
    sources: [{ name: router.source.topic, validate: router.source.validate, deadLetterRejected }],
    stages: routes.map((route) =>
      routeStage(route, {
        input: router.source.topic,
        validate: router.source.validate,
        counters: metrics.of(route.name),
        logger,
        env,
      }),
    ),
    outputs: {
      deadLetters: ROUTER_DEAD_LETTERS,
      streams: Object.fromEntries(routes.map((r) => [r.name, routeSinkName(r)])),
    },
  };
}

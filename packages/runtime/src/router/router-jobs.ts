import type { ChainStageSpec, JobSpec, Step } from '../job/job-spec';
import type { RouteMetrics } from './route-metrics';
import { ROUTER_DEAD_LETTERS, routeSinkName, type RouteSpec, type RouterSpec } from './router-spec';

/** A job of a router: the routes it runs, reading the source once. */
export interface RouterJob {
  readonly job: JobSpec;
  readonly routes: readonly RouteSpec[];
}

/**
 * The jobs a router runs as (the talk's co-isolation): one job for all routes not
 * marked `isolated`, reading the topic once and fanning out in-process, and one job per
 * isolated route, with its own consumer group (`<router>.<route>`).
 */
export function routerJobs(router: RouterSpec, metrics: RouteMetrics): RouterJob[] {
  const shared = router.routes.filter((r) => !r.isolated);
  const jobs: RouterJob[] = [];
  const job = (name: string, routes: readonly RouteSpec[]) => ({
    job: routesJob(name, router, routes, metrics),
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
  metrics: RouteMetrics,
): JobSpec {
  return {
    name,
    sources: [{ name: router.source.topic, validate: router.source.validate }],
    stages: routes.map((route) => routeStage(router.source.topic, route, metrics)),
    outputs: {
      deadLetters: ROUTER_DEAD_LETTERS,
      streams: Object.fromEntries(routes.map((r) => [r.name, routeSinkName(r)])),
    },
  };
}

/** The route's filter, then its projection, counting what goes in, is filtered and goes out. */
function routeStage(input: string, route: RouteSpec, metrics: RouteMetrics): ChainStageSpec {
  const counters = metrics.of(route.name);
  const { filter, project } = route;
  const steps: Step[] = [
    {
      kind: 'filter',
      name: 'filter',
      fn: (value: unknown) => {
        counters.in++;
        if (!filter || filter(value)) return true;
        counters.filtered++;
        return false;
      },
    },
    {
      kind: 'map',
      name: project ? 'project' : 'pass',
      fn: (value: unknown) => {
        const out = project ? project(value) : value;
        counters.out++;
        return out;
      },
    },
  ];
  return {
    kind: 'chain',
    id: route.name,
    input,
    output: route.name,
    // a route that throws on a record dead-letters it for itself; the others still get it
    ownFailures: true,
    create: () => steps,
  };
}

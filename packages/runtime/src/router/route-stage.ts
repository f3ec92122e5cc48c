import type { ChainStageParts, ChainStageSpec, Step, Validator } from '../job/job-spec';
import { OUTPUT_HEADERS } from '../records';
import { openScriptStep, withHeaders } from '../script/script-stage';
import type { Logger } from '../util/logger';
import type { RouteCounters } from './route-metrics';
import type { RouteSpec } from './router-spec';

/** What a route's stage needs of its router. */
export interface RouteContext {
  readonly input: string;
  readonly validate?: Validator;
  readonly counters: RouteCounters;
  readonly logger: Logger;
  /** Where a script kept in Redis is read from (`REDIS_URL`, `REDIS_CLUSTER_NODES`, `REDIS_TLS_*`). */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A route as a chain stage (id: the route's name): its filter, its script, its
 * projection, counting what goes in, is filtered (or dropped by the script) and goes
 * out. A step that throws dead-letters the record for this route alone (`ownFailures`).
 */
export function routeStage(route: RouteSpec, context: RouteContext): ChainStageSpec {
  return {
    kind: 'chain',
    id: route.name,
    input: context.input,
    output: route.name,
    // a route that throws on a record dead-letters it for itself; the others still get it
    ownFailures: true,
    create: () => routeParts(route, context),
  };
}

async function routeParts(
  route: RouteSpec,
  { validate, counters, logger, env }: RouteContext,
): Promise<ChainStageParts> {
  const { filter, project } = route;
  const steps: Step[] = [
    {
      kind: 'filter',
      name: 'filter',
      fn: (value: unknown) => {
        counters.in++;
        const keep = filter ? filter(value) : true;
        // a dyn expression checked at run time: CEL's filter takes a bool, not a truthy value
        if (typeof keep !== 'boolean') throw new Error(`the filter gave ${typeof keep}, not bool`);
        if (keep) return true;
        counters.filtered++;
        return false;
      },
    },
  ];
  const script =
    route.script &&
    (await openScriptStep(route.script, {
      name: route.name,
      logger,
      env,
      validate,
      outputType: 'a record of the source type',
      // the script runs over the batch's records that pass the filter, in one call
      reaches: (value) => passes(filter, value),
      counted: (outputs) => {
        if (outputs === 0) counters.filtered++;
        // one record in, several out: counted as one out, the others as extra
        if (outputs > 1) counters.extra += outputs - 1;
      },
    }));
  if (script) steps.push(script.step);
  steps.push({
    kind: 'map',
    name: project ? 'project' : 'pass',
    fn: (value: unknown) => {
      const out = project ? withHeaders(project(value), headersOf(value)) : value;
      counters.out++;
      return out;
    },
  });
  if (!script) return steps;
  return {
    steps,
    beforeBatch: script.beforeBatch,
    // the isolate goes with the task that made it
    close: script.close,
  };
}

/** Whether the filter keeps a value (one that throws is the filter step's to report). */
function passes(filter: RouteSpec['filter'], value: unknown): boolean {
  try {
    return !filter || filter(value);
  } catch {
    return false;
  }
}

type Tagged = { [OUTPUT_HEADERS]?: Record<string, string> };

function headersOf(value: unknown): Record<string, string> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as Tagged)[OUTPUT_HEADERS]
    : undefined;
}

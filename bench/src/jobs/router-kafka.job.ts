import { celEnvironment, compileCel } from '@stream-gen/codegen';
import { celRuntime, launchRouter, type RouteSpec, type RouterSpec } from '@stream-gen/runtime';
import { measureWindow } from '../measure-window';
import type { Measured } from '../protocol';
import type { JobChannel } from './job-channel';
import type { KafkaJobParams } from './runtime-job';

export interface RouterKafkaParams extends KafkaJobParams {
  /** Records of the source topic. */
  readonly expected: number;
  /** `interpreted`: every expression through the CEL interpreter instead of compiled JS. */
  readonly cel: 'compiled' | 'interpreted';
}

/** The impressions' type as the code generator sees it (TS number: CEL double). */
const IMPRESSION = {
  kind: 'object',
  name: 'Impression',
  fields: ['impressionId', 'profileId', 'titleId', 'ts', 'row', 'rank'].map((name) => ({
    name,
    optional: false,
    shape: { kind: ['ts', 'row', 'rank'].includes(name) ? 'number' : 'string' },
  })),
} as const;

/** Three routes of a filter and a projection each, as a router file would declare them. */
const ROUTES = [
  {
    name: 'top-ranked',
    filter: 'titleId != "t0" && rank < 5',
    project: { profileId: 'profileId', titleId: 'titleId', ts: 'ts' },
  },
  {
    name: 'first-row',
    filter: 'row == 1.0',
    project: { impressionId: 'impressionId', rank: 'rank * 10.0' },
  },
  {
    name: 'some-profiles',
    filter: 'profileId.endsWith("1") || profileId.endsWith("7")',
    project: { profileId: 'profileId', at: 'ts' },
  },
] as const;

/**
 * The routes' expressions made as the generator makes them: compiled to JS by the code
 * generator's compiler (the same call `stream-gen generate` makes), or handed to the
 * interpreter, to measure the one against the other.
 */
function routerSpec(params: RouterKafkaParams): RouterSpec {
  const cel = celEnvironment(IMPRESSION as never, 'Impression');
  const fn = (expression: string): ((r: unknown) => unknown) => {
    const code = params.cel === 'compiled' ? compileCel(cel, expression) : undefined;
    if (params.cel === 'compiled' && code === undefined) {
      throw new Error(`the compiler left "${expression}" to the interpreter`);
    }
    return code === undefined
      ? celRuntime.interpreted(expression, cel.declarations)
      : (new Function('$', `return (r) => ${code}`)(celRuntime) as (r: unknown) => unknown);
  };
  const routes: RouteSpec[] = ROUTES.map((route) => {
    const filter = fn(route.filter);
    const fields = Object.entries(route.project).map(([name, e]) => [name, fn(e)] as const);
    return {
      name: route.name,
      filter: (r) => filter(r) as boolean,
      project: (r) => Object.fromEntries(fields.map(([name, f]) => [name, f(r)])),
      sink: { kind: 'kafka', topic: params.topics.sinks[route.name] },
    };
  });
  return { name: 'BenchRouter', source: { topic: params.topics.sources.impressions }, routes };
}

/** A router of three routes, Kafka to Kafka, offsets checkpointed to Redis. */
export async function routerKafka(
  params: RouterKafkaParams,
  channel: JobChannel,
): Promise<Measured> {
  const router = launchRouter(routerSpec(params), {
    env: {
      KAFKA_BROKERS: params.brokers.join(','),
      REDIS_URL: params.redisUrl,
      STREAM_GEN_GROUP_ID: params.groupId,
      STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: String(params.sessionTimeoutMs),
    },
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: console.warn,
      error: console.error,
    },
  });
  const run = router.runAll();
  const failed = run.then(() => {
    throw new Error('the router ended by itself');
  });
  failed.catch(() => undefined);
  return measureWindow(
    {
      // every route sees each record: the least count is what all routes are done with
      progress: () => {
        const counts = Object.values(router.routeMetrics()).map((c) => c.in);
        return counts.length > 0 ? Math.min(...counts) : 0;
      },
      ready: () => router.status().length >= params.partitions,
      failed,
      async stop() {
        await router.stop();
        await run;
      },
      details: () => ({ routes: router.routeMetrics(), cel: params.cel }),
    },
    { expected: params.expected, onReady: channel.ready },
  );
}

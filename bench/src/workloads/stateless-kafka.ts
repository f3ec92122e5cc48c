import type { KafkaJobParams } from '../jobs/runtime-job';
import { fromReport } from '../results';
import type { SuiteContext } from '../suite-context';
import { kafkaJobParams, type Workload } from './workload';

/** A stateless job of `name` reading `sources` (default the join input) to a topic of its own. */
export async function statelessParams(
  ctx: SuiteContext,
  name: string,
  overrides: Partial<KafkaJobParams> = {},
  sources: Record<string, string> = ctx.input.topics,
): Promise<KafkaJobParams & { readonly expected: number }> {
  return {
    ...(await kafkaJobParams(ctx, name, sources, ['projected'])),
    expected: ctx.input.events,
    ...overrides,
  };
}

/** Filter + projection from Kafka to Kafka, as steps on the sources or as chain stages. */
const stateless = (name: string, title: string): Workload => ({
  name,
  title,
  async run(ctx) {
    const params = await statelessParams(ctx, name);
    return [fromReport(name, await ctx.runJob(name, { workload: name, params }))];
  },
});

export const statelessKafka = stateless(
  'stateless-kafka',
  'filter + projection, Kafka → Kafka, offsets checkpointed to Redis',
);

export const chainKafka = stateless(
  'chain-kafka',
  'the same filter + projection as chain stages (one per source), Kafka → Kafka',
);

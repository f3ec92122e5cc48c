import { fromReport } from '../results';
import { kafkaJobParams, type Workload } from './workload';

/** Filter + projection from Kafka to Kafka, as steps on the sources or as chain stages. */
const stateless = (name: string, title: string): Workload => ({
  name,
  title,
  async run(ctx) {
    const params = {
      ...(await kafkaJobParams(ctx, name, ctx.input.topics, ['projected'])),
      expected: ctx.input.events,
    };
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

import type { RouterKafkaParams } from '../jobs/router-kafka.job';
import { fromReport } from '../results';
import { kafkaJobParams, type Workload } from './workload';

const ROUTES = ['top-ranked', 'first-row', 'some-profiles'];

/** Three routes (CEL filter + projection each) over the impressions, Kafka to Kafka. */
const router = (name: string, cel: RouterKafkaParams['cel'], title: string): Workload => ({
  name,
  title,
  async run(ctx) {
    const params: RouterKafkaParams = {
      ...(await kafkaJobParams(ctx, name, { impressions: ctx.input.topics.impressions }, ROUTES)),
      expected: ctx.input.impressions,
      cel,
    };
    return [fromReport(name, await ctx.runJob(name, { workload: name, params }))];
  },
});

export const routerKafka = router(
  'router-kafka',
  'compiled',
  'router: 3 routes of a CEL filter + projection compiled to JS, Kafka → Kafka',
);

export const routerKafkaInterpreted = router(
  'router-kafka-interpreted',
  'interpreted',
  'the same router, its CEL run by the interpreter',
);

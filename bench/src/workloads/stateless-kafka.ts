import { fromReport } from '../results';
import { kafkaJobParams, type Workload } from './workload';

export const statelessKafka: Workload = {
  name: 'stateless-kafka',
  title: 'filter + projection, Kafka → Kafka, offsets checkpointed to Redis',
  async run(ctx) {
    const params = {
      ...(await kafkaJobParams(ctx, this.name, ctx.input.topics, ['projected'])),
      expected: ctx.input.events,
    };
    return [fromReport(this.name, await ctx.runJob(this.name, { workload: this.name, params }))];
  },
};

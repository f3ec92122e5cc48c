import type { EmbeddedJoinParams } from '../jobs/join-embedded.job';
import { fromReport } from '../results';
import type { Workload } from './workload';

export const joinEmbedded: Workload = {
  name: 'join-embedded',
  title: 'ImpressionJoin on embedded backends (in-process log, memory state): no I/O',
  async run(ctx) {
    const params: EmbeddedJoinParams = {
      impressions: ctx.options.embeddedImpressions,
      seed: ctx.options.seed,
    };
    return [fromReport(this.name, await ctx.runJob(this.name, { workload: this.name, params }))];
  },
};

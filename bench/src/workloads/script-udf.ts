import { fromReport } from '../results';
import type { Workload } from './workload';

/** A route's script UDF in its sandbox, against the same function called directly. */
export const scriptUdf: Workload = {
  name: 'script-udf',
  title: 'script UDF in the isolated-vm sandbox (one call per batch of 500) vs called directly',
  async run(ctx) {
    const params = { records: ctx.options.embeddedImpressions, batchSize: 500 };
    return [fromReport(this.name, await ctx.runJob(this.name, { workload: this.name, params }))];
  },
};

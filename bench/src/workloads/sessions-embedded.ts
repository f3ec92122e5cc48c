import type { EmbeddedSessionsParams } from '../jobs/sessions-embedded.job';
import { fromReport } from '../results';
import type { Workload } from './workload';

/** Activity records per user: about 100, in bursts and pauses (see generateActivity). */
const EVENTS_PER_USER = 100;

export const sessionsEmbedded: Workload = {
  name: 'sessions-embedded',
  title:
    'UserSessions (session windows) on embedded backends (in-process log, memory state): no I/O',
  async run(ctx) {
    const events = ctx.options.sessionEvents;
    const params: EmbeddedSessionsParams = {
      events,
      users: Math.max(1, Math.round(events / EVENTS_PER_USER)),
      seed: ctx.options.seed,
      partitions: 4,
    };
    return [fromReport(this.name, await ctx.runJob(this.name, { workload: this.name, params }))];
  },
};

import {
  FakeServices,
  generatePlays,
  playbackEnricherJob,
} from '@stream-gen/sample-playback-enricher';
import type { EnricherJobParams } from '../jobs/enricher.job';
import { fromReport, round } from '../results';
import { kafkaJobParams, type Workload } from './workload';

/** The enricher's limits, as its generated spec declares them. */
function enricherLimits(): { concurrency: number; perSecond: number | undefined } {
  const operator = playbackEnricherJob({}).operator;
  if (operator?.kind !== 'async') throw new Error('PlaybackEnricher is not an async operator');
  return {
    concurrency: operator.limits.concurrency,
    perSecond: operator.limits.rateLimit?.perSecond,
  };
}

export const enricher: Workload = {
  name: 'enricher',
  title: 'PlaybackEnricher on Kafka against the fake services at a fixed latency',
  async run(ctx) {
    const { serviceLatencyMs: latencyMs, enricherPlays } = ctx.options;
    const services = new FakeServices({ latencyMs });
    const servicesUrl = await services.start();
    try {
      const sources = await ctx.createTopics(this.name, ['plays']);
      const plays = generatePlays({ plays: enricherPlays, seed: ctx.options.seed, titles: 10 });
      await ctx.produce(
        sources.plays,
        plays.map((p) => ({
          key: (p as { profileId: string }).profileId,
          value: JSON.stringify(p),
        })),
      );
      const params: EnricherJobParams = {
        ...(await kafkaJobParams(ctx, this.name, sources, ['enriched', 'dead-letters'])),
        servicesUrl,
        expected: plays.length,
      };
      const report = await ctx.runJob(this.name, { workload: this.name, params });
      const { concurrency, perSecond } = enricherLimits();
      const concurrencyBound = concurrency / (latencyMs / 1000);
      const bound = Math.min(concurrencyBound, perSecond ?? Infinity);
      const eventsPerSec = report.events / (report.windowMs / 1000);
      return [
        fromReport(this.name, report, {
          details: {
            serviceLatencyMs: latencyMs,
            concurrency,
            concurrencyBound: round(concurrencyBound),
            rateLimitPerSec: perSecond ?? null,
            ofBound: round(eventsPerSec / bound, 3),
            serviceMaxInFlight: services.maxInFlight,
            serviceMaxCallsPerSecond: services.maxCallsPerSecond(),
          },
          notes: [
            `enricher: ${Math.round(eventsPerSec)} events/s = ${((eventsPerSec / bound) * 100).toFixed(0)} % of its bound ` +
              `${Math.round(bound)}/s: concurrency / latency = ${concurrency} / ${latencyMs} ms = ${Math.round(concurrencyBound)}/s, ` +
              `rate limit ${perSecond ?? 'none'}/s; the fake service saw at most ${services.maxInFlight} calls in flight ` +
              `and ${services.maxCallsPerSecond()} calls in a second`,
          ],
        }),
      ];
    } finally {
      await services.stop();
    }
  },
};

import type { Consumer } from 'kafkajs';
import type { Conversion, Play } from '@stream-gen/sample-impression-join';
import type { JoinJobParams } from '../jobs/join-kafka-redis.job';
import { percentile } from '../percentile';
import { fromReport, round } from '../results';
import { JOIN_SINKS } from './join-kafka-redis';
import { runWithLiveInput, WARMUP_MS } from './live-input';
import { kafkaJobParams, type Workload } from './workload';

/** Reads conversions and takes each one's latency from when its play was produced. */
class ConversionClock {
  readonly sentAt = new Map<string, number>();
  /** Per sampled conversion: when its play was sent and its latency. */
  readonly samples: Array<{ sent: number; latency: number }> = [];
  lastArrival = 0;
  received = 0;
  joined = false;
  private firstSend: number | undefined;

  constructor(private readonly consumer: Consumer) {}

  async start(topic: string): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        for (const message of batch.messages) {
          const conversion = JSON.parse(message.value?.toString('utf8') ?? '{}') as Conversion;
          const sent = this.sentAt.get(conversion.playId);
          this.received++;
          this.lastArrival = now;
          if (sent !== undefined) this.samples.push({ sent, latency: now - sent });
        }
      },
    });
  }

  /** Remembers when each play was sent (after the warm-up). */
  sent(values: ReadonlyArray<{ topic: string; value: unknown }>, at: number): void {
    this.firstSend ??= at;
    if (at - this.firstSend < WARMUP_MS) return;
    for (const e of values) if (e.topic === 'plays') this.sentAt.set((e.value as Play).playId, at);
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}

export const joinLatency: Workload = {
  name: 'join-kafka-redis-latency',
  title:
    'ImpressionJoin end-to-end latency (play produced → conversion consumed) at half its maximum rate',
  async run(ctx) {
    let params: JoinJobParams | undefined;
    const clock = new ConversionClock(
      ctx.kafka.consumer({
        groupId: ctx.groupId(`${this.name}-reader`),
        ...ctx.services.consumerConfig,
      }),
    );
    try {
      const run = await runWithLiveInput(ctx, this.name, {
        request: async (topics) => {
          params = await kafkaJobParams(ctx, this.name, topics, JOIN_SINKS);
          await clock.start(params.topics.sinks.conversions);
          return { workload: 'join-kafka-redis', params };
        },
        ready: () => clock.joined,
        onSent: (events, at) => clock.sent(events, at),
        lastArrival: () => clock.lastArrival,
      });
      const sorted = clock.samples.map((s) => s.latency).sort((a, b) => a - b);
      // Kept up: the plays sent in the second half waited about as long as the first half's.
      const [early, late] = halvesBySendTime(clock.samples);
      const keptUp = late <= early * 1.25 + 500;
      // 10 s of event time (the join's out-of-orderness bound) pass in this much wall time.
      const boundWallMs = (10_000 * run.seconds) / ((6 * 3_600_000) / 1000);
      const processed = run.report.events / (run.report.windowMs / 1000);
      return [
        fromReport(this.name, run.report, {
          p50Ms: percentile(sorted, 0.5),
          p99Ms: percentile(sorted, 0.99),
          details: {
            inputRate: run.rate,
            producedRate: run.producedRate,
            keptUp,
            p50FirstHalfMs: round(early, 1),
            p50SecondHalfMs: round(late, 1),
            sampledConversions: sorted.length,
            conversionsRead: clock.received,
            maxMs: round(sorted[sorted.length - 1] ?? NaN, 1),
            watermarkBoundWallMs: round(boundWallMs, 1),
          },
          notes: [
            `${this.name}: input ${run.rate} events/s for ${run.seconds} s ` +
              `(${run.rateSource})` +
              (run.producedRate < 0.95 * run.rate
                ? `, but the bench only produced ${run.producedRate} events/s (machine busy)`
                : '') +
              `; the job processed ${Math.round(processed)} events/s` +
              (keptUp
                ? ''
                : ` and FELL BEHIND (p50 ${Math.round(early)} ms for the plays sent in the first half, ` +
                  `${Math.round(late)} ms in the second), so its latency is mostly queueing`) +
              `; ${sorted.length} conversions sampled; the join's 10 s out-of-orderness bound ` +
              `is ${boundWallMs.toFixed(1)} ms of wall time at this replay speed`,
          ],
        }),
      ];
    } finally {
      await clock.close();
    }
  },
};

/** p50 latency of the samples sent in the first half of the run, and of the second half. */
function halvesBySendTime(
  samples: ReadonlyArray<{ sent: number; latency: number }>,
): [number, number] {
  const bySend = [...samples].sort((a, b) => a.sent - b.sent);
  const half = Math.floor(bySend.length / 2);
  const p50 = (part: typeof bySend) =>
    percentile(
      part.map((s) => s.latency).sort((a, b) => a - b),
      0.5,
    );
  return [p50(bySend.slice(0, half)), p50(bySend.slice(half))];
}

import type { Consumer } from 'kafkajs';
import { DEFAULT_KAFKA_MAX_WAIT_MS } from '@stream-gen/runtime';
import type { RawConsumeParams } from '../jobs/raw-consume.job';
import { percentile } from '../percentile';
import { fromReport } from '../results';
import { runWithLiveInput, WARMUP_MS } from './live-input';
import type { Workload } from './workload';

/** A consumer in the bench process: the latency of every record, from its Kafka timestamp. */
class LatencyProbe {
  readonly latencies: number[] = [];
  joined = false;
  private firstSent: number | undefined;

  constructor(private readonly consumer: Consumer) {}

  async start(topics: readonly string[]): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const message of batch.messages) {
          const sent = Number(message.timestamp);
          this.firstSent ??= sent;
          if (sent - this.firstSent >= WARMUP_MS) this.latencies.push(now - sent);
        }
      },
    });
  }

  percentiles(): { p50: number; p99: number } {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}

const PROBE_MAX_WAIT_MS = 100;

export const rawConsumeLatency: Workload = {
  name: 'raw-consume-latency',
  title: 'the raw-consume consumer on the same live input: the latency floor of this broker',
  async run(ctx) {
    // The same input read with a short fetch wait, for comparison (in the bench process).
    const probe = new LatencyProbe(
      ctx.kafka.consumer({
        groupId: ctx.groupId(`${this.name}-probe`),
        ...ctx.services.consumerConfig,
        maxWaitTimeInMs: PROBE_MAX_WAIT_MS,
      }),
    );
    try {
      const run = await runWithLiveInput(ctx, this.name, {
        request: async (topics) => {
          const params: RawConsumeParams = {
            brokers: ctx.services.kafka.brokers,
            groupId: ctx.groupId(this.name),
            topics: [topics.impressions, topics.plays],
            sessionTimeoutMs: ctx.services.consumerConfig.sessionTimeout,
            warmupMs: WARMUP_MS,
          };
          await probe.start(params.topics);
          return { workload: 'raw-consume-latency', params };
        },
        ready: () => probe.joined,
      });
      const { latencyP50Ms, latencyP99Ms } = run.report.details as {
        latencyP50Ms: number;
        latencyP99Ms: number;
      };
      const short = probe.percentiles();
      return [
        fromReport(this.name, run.report, {
          p50Ms: latencyP50Ms,
          p99Ms: latencyP99Ms,
          details: {
            inputRate: run.rate,
            shortWaitP50Ms: short.p50,
            shortWaitP99Ms: short.p99,
          },
          notes: [
            `${this.name}: every record, sent → consumed by the raw kafkajs consumer with ` +
              `maxWaitTimeInMs ${DEFAULT_KAFKA_MAX_WAIT_MS} (as the runtime's consumer) on the same input and rate as ` +
              `join-kafka-redis-latency; the same input read with maxWaitTimeInMs ${PROBE_MAX_WAIT_MS}: ` +
              `p50 ${short.p50} ms, p99 ${short.p99} ms`,
          ],
        }),
      ];
    } finally {
      await probe.close();
    }
  },
};

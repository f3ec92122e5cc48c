import type { ElementContext, JobSpec, RuntimeContext, ValueState } from '@stream-gen/runtime';
import { measureWindow } from '../measure-window';
import type { Measured } from '../protocol';
import { countRedisRoundTrips, redisWaits } from '../redis-round-trips';
import type { JobChannel } from './job-channel';
import { launchOnKafka, type KafkaJobParams } from './runtime-job';

interface Viewing {
  readonly profileId: string;
  readonly titleId: string;
  readonly ts: number;
}

interface ProfileTitleCount {
  readonly titleId: string;
  readonly profileId: string;
  readonly count: number;
}

/** Stage one, keyed by profile and title: the running count of impressions and plays. */
class CountViewings {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState<number>('count');
  }
  private add(v: Viewing, ctx: ElementContext<ProfileTitleCount>) {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ titleId: v.titleId, profileId: v.profileId, count });
  }
  processElement1(v: Viewing, ctx: ElementContext<ProfileTitleCount>) {
    this.add(v, ctx);
  }
  processElement2(v: Viewing, ctx: ElementContext<ProfileTitleCount>) {
    this.add(v, ctx);
  }
}

/** Stage two, keyed by title through the repartition: the profile with the most, on each new maximum. */
class TopProfile {
  private best!: ValueState<{ profileId: string; count: number }>;
  open(ctx: RuntimeContext) {
    this.best = ctx.valueState('best');
  }
  processElement(c: ProfileTitleCount, ctx: ElementContext<ProfileTitleCount>) {
    const best = this.best.value();
    if (best && best.count >= c.count) return;
    this.best.update({ profileId: c.profileId, count: c.count });
    ctx.emit(c);
  }
}

const source = (name: string) => ({
  name,
  key: (v: Viewing) => `${v.profileId}_${v.titleId}`,
  partitionedByKey: true,
  eventTime: { timestamp: (v: Viewing) => v.ts, maxOutOfOrdernessMs: 10_000 },
});

/** Two keyed stages across a repartition: every input element crosses the exchange. */
export const pipelineJob: JobSpec = {
  name: 'BenchPipeline',
  sources: [source('impressions'), source('plays')],
  operator: {
    kind: 'coProcess',
    name: 'count-viewings',
    inputs: ['impressions', 'plays'],
    output: 'viewing-counts',
    create: () => new CountViewings(),
  },
  keyedStages: [
    {
      kind: 'process',
      id: 'top-profile',
      input: 'viewing-counts',
      key: (c: ProfileTitleCount) => c.titleId,
      create: () => new TopProfile(),
    },
  ],
  outputs: { main: 'top-profiles' },
};

/** The exchange topic launchJob expects: `<job>.<stage id>.repartition`. */
export const PIPELINE_EXCHANGE = 'BenchPipeline.top-profile.repartition';

/**
 * The pipeline on Kafka and Redis. Every input event becomes one element of stage two,
 * so stage two's elements are the input events through both stages: the window ends
 * once it applied all of them (each only after the upstream checkpoint that covers it,
 * one checkpoint interval behind).
 */
export function pipelineKafkaRedis(
  params: KafkaJobParams & { readonly expected: number },
  channel: JobChannel,
): Promise<Measured> {
  const redisRoundTrips = countRedisRoundTrips();
  const job = launchOnKafka({
    job: pipelineJob,
    sinks: ['top-profiles'],
    params,
    checkpointIntervalMs: 1000,
    progress: (_, stages) => stages[1]?.metrics.recordsIn ?? 0,
    segments: 2,
  });
  return measureWindow(job, {
    expected: params.expected,
    onReady: channel.ready,
    redisRoundTrips,
    counters: redisWaits,
  });
}

import type {
  ElementContext,
  JobMetrics,
  JobSpec,
  RuntimeContext,
  SourceSpec,
  StageMetrics,
  ValueState,
} from '@stream-gen/runtime';
import { measureWindow } from '../measure-window';
import type { Measured } from '../protocol';
import { countRedisRoundTrips, redisWaits } from '../redis-round-trips';
import type { JobChannel } from './job-channel';
import { launchOnKafka, type KafkaJobParams } from './runtime-job';

/*
 * The first keyed stage of the bench's jobs of several keyed stages (pipeline-kafka-redis,
 * fused-kafka-redis): the join's input keyed by profile and title, counted by a
 * co-process, state in Redis, checkpoints every second.
 */

interface Viewing {
  readonly profileId: string;
  readonly titleId: string;
  readonly ts: number;
}

export interface ProfileTitleCount {
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

const source = (name: string): SourceSpec => ({
  name,
  key: (v: Viewing) => `${v.profileId}_${v.titleId}`,
  partitionedByKey: true,
  eventTime: { timestamp: (v: Viewing) => v.ts, maxOutOfOrdernessMs: 10_000 },
});

/** The stream stage one writes, which the keyed stage after it reads. */
export const VIEWING_COUNTS = 'viewing-counts';

/** A job of the sources and stage one (its operator), then `rest` (keyed stages, outputs). */
export function countViewingsJob(
  name: string,
  rest: Pick<JobSpec, 'keyedStages' | 'outputs'>,
): JobSpec {
  return {
    name,
    sources: [source('impressions'), source('plays')],
    operator: {
      kind: 'coProcess',
      name: 'count-viewings',
      inputs: ['impressions', 'plays'],
      output: VIEWING_COUNTS,
      create: () => new CountViewings(),
    },
    ...rest,
  };
}

/** Runs such a job on Kafka and Redis (checkpoints every 1 s) and measures its window. */
export function measureCountViewingsJob(
  options: {
    readonly job: JobSpec;
    readonly sinks: readonly string[];
    /** Events done so far: see launchOnKafka. */
    readonly progress: (metrics: JobMetrics, stages: readonly StageMetrics[]) => number;
    readonly segments?: number;
  },
  params: KafkaJobParams & { readonly expected: number },
  channel: JobChannel,
): Promise<Measured> {
  const redisRoundTrips = countRedisRoundTrips();
  const job = launchOnKafka({ ...options, params, checkpointIntervalMs: 1000 });
  return measureWindow(job, {
    expected: params.expected,
    onReady: channel.ready,
    redisRoundTrips,
    counters: redisWaits,
  });
}

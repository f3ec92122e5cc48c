import type { ElementContext, JobSpec, RuntimeContext, ValueState } from '@stream-gen/runtime';
import { measureWindow } from '../measure-window';
import type { Measured } from '../protocol';
import { countRedisRoundTrips, redisWaits } from '../redis-round-trips';
import type { JobChannel } from './job-channel';
import { launchOnKafka, type KafkaJobParams } from './runtime-job';

/** An impression or a play: the union reads both kinds on every input. */
interface Viewing {
  readonly profileId: string;
  readonly ts: number;
}

interface ProfileCount {
  readonly profileId: string;
  readonly count: number;
  readonly via: string;
}

/** The three inputs of the union (each holds a third of the join's events). */
export const UNION_SOURCES = ['viewings-0', 'viewings-1', 'viewings-2'] as const;

/** The running count of each profile's viewings over the three inputs, with the input named. */
class CountPerProfile {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState<number>('count');
  }
  processElement(v: Viewing, ctx: ElementContext<ProfileCount>) {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ profileId: v.profileId, count, via: ctx.input });
  }
}

/**
 * A union of three topics keyed by profile. The topics are partitioned by the join key
 * (profile and title), not by profile, so every element goes through the re-keying
 * stage and the repartition topic before the union counts it.
 */
export const unionJob: JobSpec = {
  name: 'BenchUnion',
  sources: UNION_SOURCES.map((name) => ({
    name,
    key: (v: Viewing) => v.profileId,
    eventTime: { timestamp: (v: Viewing) => v.ts, maxOutOfOrdernessMs: 10_000 },
  })),
  operator: {
    kind: 'union',
    name: 'count-per-profile',
    inputs: [...UNION_SOURCES],
    create: () => new CountPerProfile(),
  },
  outputs: { main: 'profile-counts' },
};

/** The repartition topic launchJob expects: `<job>.<operator>.repartition`. */
export const UNION_REPARTITION = 'BenchUnion.count-per-profile.repartition';

export interface UnionJobParams extends KafkaJobParams {
  /** Input events over the three topics: the window ends once the union counted all. */
  readonly expected: number;
}

/** The union on Kafka and Redis, a checkpoint every 5 s (the runtime's default). */
export function unionKafkaRedis(params: UnionJobParams, channel: JobChannel): Promise<Measured> {
  const redisRoundTrips = countRedisRoundTrips();
  const job = launchOnKafka({
    job: unionJob,
    sinks: ['profile-counts'],
    params,
    checkpointIntervalMs: 5000,
    progress: (m) => m.recordsIn,
  });
  return measureWindow(job, {
    expected: params.expected,
    onReady: channel.ready,
    redisRoundTrips,
    counters: redisWaits,
  });
}

import type { ElementContext, JobSpec, RuntimeContext, ValueState } from '@stream-gen/runtime';
import type { Measured } from '../protocol';
import type { JobChannel } from './job-channel';
import type { KafkaJobParams } from './runtime-job';
import {
  VIEWING_COUNTS,
  countViewingsJob,
  measureCountViewingsJob,
  type ProfileTitleCount,
} from './viewing-counts';

/**
 * Stage two, fused (same key: profile and title): the highest count stage one emitted
 * for the key, emitted on each new maximum (every element here: the count only grows).
 */
class MaxCount {
  private max!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.max = ctx.valueState<number>('max');
  }
  processElement(c: ProfileTitleCount, ctx: ElementContext<ProfileTitleCount>) {
    const max = this.max.value();
    if (max !== undefined && max >= c.count) return;
    this.max.update(c.count);
    ctx.emit(c);
  }
}

/** Two keyed stages in the same tasks: the second fused after the first, no repartition. */
export const fusedJob: JobSpec = countViewingsJob('BenchFused', {
  keyedStages: [
    {
      kind: 'process',
      id: 'max-count',
      input: VIEWING_COUNTS,
      sameKey: true,
      create: () => new MaxCount(),
    },
  ],
  outputs: { main: 'max-counts' },
});

/**
 * The fused job on Kafka and Redis. Every input event goes through both stages within
 * the call that reads it, so the events are the input events the tasks read: the
 * window ends once they read the last one.
 */
export function fusedKafkaRedis(
  params: KafkaJobParams & { readonly expected: number },
  channel: JobChannel,
): Promise<Measured> {
  return measureCountViewingsJob(
    {
      job: fusedJob,
      sinks: ['max-counts'],
      progress: (m) => m.recordsIn,
    },
    params,
    channel,
  );
}

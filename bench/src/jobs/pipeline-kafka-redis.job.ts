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

/** Two keyed stages across a repartition: every input element crosses the exchange. */
export const pipelineJob: JobSpec = countViewingsJob('BenchPipeline', {
  keyedStages: [
    {
      kind: 'process',
      id: 'top-profile',
      input: VIEWING_COUNTS,
      key: (c: ProfileTitleCount) => c.titleId,
      create: () => new TopProfile(),
    },
  ],
  outputs: { main: 'top-profiles' },
});

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
  return measureCountViewingsJob(
    {
      job: pipelineJob,
      sinks: ['top-profiles'],
      progress: (_, stages) => stages[1]?.metrics.recordsIn ?? 0,
      segments: 2,
    },
    params,
    channel,
  );
}

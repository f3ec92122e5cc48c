import { impressionJoinJob } from '@stream-gen/sample-impression-join';
import { measureWindow } from '../measure-window';
import type { Measured } from '../protocol';
import { countRedisRoundTrips, redisWaits } from '../redis-round-trips';
import type { JobChannel } from './job-channel';
import { launchOnKafka, type KafkaJobParams } from './runtime-job';

export interface JoinJobParams extends KafkaJobParams {
  /** Input events to process; omitted: run until the bench says stop. */
  readonly expected?: number;
}

/** ImpressionJoin on Kafka and Redis, with its checkpoint interval of 5 s unless overridden. */
export async function joinKafkaRedis(
  params: JoinJobParams,
  channel: JobChannel,
): Promise<Measured> {
  const redisRoundTrips = countRedisRoundTrips();
  const job = launchOnKafka({
    job: impressionJoinJob(),
    sinks: ['conversions', 'late', 'dead-letters'],
    params,
    checkpointIntervalMs: 5000,
    progress: (m) => m.recordsIn,
  });
  return measureWindow(job, {
    expected: params.expected,
    stopRequested: channel.stopRequested,
    onReady: channel.ready,
    redisRoundTrips,
    counters: redisWaits,
  });
}

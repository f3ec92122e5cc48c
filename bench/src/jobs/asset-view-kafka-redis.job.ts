import { assetViewJob } from '@stream-gen/sample-asset-view';
import { assetViewSinks } from '@stream-gen/sample-asset-view/dist/generated/asset-view.runner.generated';
import { measureWindow } from '../measure-window';
import type { Measured } from '../protocol';
import { countRedisRoundTrips, redisWaits } from '../redis-round-trips';
import type { JobChannel } from './job-channel';
import { launchOnKafka, type KafkaJobParams } from './runtime-job';

export interface AssetViewJobParams extends KafkaJobParams {
  /** Records on both inputs before the job starts (events and full publishes): the window ends there. */
  readonly records: number;
}

/**
 * AssetView (sample) from its generated spec on Kafka and Redis, started as its
 * generated runner starts it (its checkpoint interval, 1 s), publishing its view to the
 * state's Redis after every checkpoint. The window runs from the first record read to
 * the last of the pre-produced input; the job then runs on, idle but for the probes the
 * bench sends to time its publishes, until the bench stops it (or it fails).
 */
export function assetViewKafkaRedis(
  params: AssetViewJobParams,
  channel: JobChannel,
): Promise<Measured> {
  const redisRoundTrips = countRedisRoundTrips();
  const job = launchOnKafka({
    job: assetViewJob(),
    sinks: assetViewSinks,
    params,
    checkpointIntervalMs: 1000,
    progress: (m) => m.recordsIn,
  });
  const untilStopped = {
    ...job,
    stop: async () => {
      await Promise.race([channel.stopRequested, job.failed]);
      await job.stop();
    },
  };
  return measureWindow(untilStopped, {
    expected: params.records,
    onReady: channel.ready,
    redisRoundTrips,
    counters: redisWaits,
  });
}

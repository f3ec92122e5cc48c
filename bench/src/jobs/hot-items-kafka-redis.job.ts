import type { StageMetrics } from '@stream-gen/runtime';
import { hotItemsJob } from '@stream-gen/sample-hot-items';
import { hotItemsSinks } from '@stream-gen/sample-hot-items/dist/generated/hot-items.runner.generated';
import { measureWindow } from '../measure-window';
import type { Measured } from '../protocol';
import { countRedisRoundTrips, redisWaits } from '../redis-round-trips';
import type { JobChannel } from './job-channel';
import { launchOnKafka, type KafkaJobParams } from './runtime-job';

/** The exchange topic launchJob expects: `<job>.<stage id>.repartition`. */
export const HOT_ITEMS_EXCHANGE = 'HotItems.hot-items.repartition';

export interface HotItemsJobParams extends KafkaJobParams {
  /** Bids on the input topic, the closing ones included. */
  readonly bids: number;
  /** Hot items the reference computation gives: the run is done once that many are out. */
  readonly hotItems: number;
}

/**
 * HotItems (sample, Nexmark q5) from its generated spec on Kafka and Redis, started as
 * its generated runner starts it (its checkpoint interval, 2 s). Events are the bids
 * stage one read; the last one counts only once stage two emitted every expected hot
 * item, so the window runs from the first bid read to the last hot item out: it includes
 * the tail behind the last bid (the last windows' counts cross the exchange once the
 * checkpoint covering them is committed, then stage two's watermark closes them).
 */
export function hotItemsKafkaRedis(
  params: HotItemsJobParams,
  channel: JobChannel,
): Promise<Measured> {
  const redisRoundTrips = countRedisRoundTrips();
  const hotItemsOut = (stages: readonly StageMetrics[]) =>
    stages.find((s) => s.stage === 'hot-items')?.metrics.mainOut ?? 0;
  const job = launchOnKafka({
    job: hotItemsJob(),
    sinks: hotItemsSinks,
    params,
    checkpointIntervalMs: 2000,
    progress: (m, stages) =>
      hotItemsOut(stages) >= params.hotItems ? m.recordsIn : Math.min(m.recordsIn, params.bids - 1),
    segments: 2,
  });
  return measureWindow(job, {
    expected: params.bids,
    onReady: channel.ready,
    redisRoundTrips,
    counters: redisWaits,
  });
}

import { playbackEnricherJob } from '@stream-gen/sample-playback-enricher';
import { measureWindow } from '../measure-window';
import type { Measured } from '../protocol';
import { countRedisRoundTrips, redisWaits } from '../redis-round-trips';
import type { JobChannel } from './job-channel';
import { launchOnKafka, type KafkaJobParams } from './runtime-job';

export interface EnricherJobParams extends KafkaJobParams {
  readonly expected: number;
  /** Base URL of the fake playback-history and video-metadata services. */
  readonly servicesUrl: string;
}

/** PlaybackEnricher on Kafka: done when every play was enriched or dead-lettered. */
export async function enricher(params: EnricherJobParams, channel: JobChannel): Promise<Measured> {
  const redisRoundTrips = countRedisRoundTrips();
  const job = launchOnKafka({
    job: playbackEnricherJob({
      PLAYBACK_HISTORY_URL: params.servicesUrl,
      VIDEO_METADATA_URL: params.servicesUrl,
    }),
    sinks: ['enriched', 'dead-letters'],
    params,
    progress: (m) => m.mainOut + m.deadLetters,
  });
  return measureWindow(job, {
    expected: params.expected,
    onReady: channel.ready,
    redisRoundTrips,
    counters: redisWaits,
  });
}

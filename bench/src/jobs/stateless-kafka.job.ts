import type { JobSpec } from '@stream-gen/runtime';
import { measureWindow } from '../measure-window';
import type { Measured } from '../protocol';
import { countRedisRoundTrips, redisWaits } from '../redis-round-trips';
import type { JobChannel } from './job-channel';
import { launchOnKafka, type KafkaJobParams } from './runtime-job';

interface Keyed {
  readonly profileId: string;
  readonly titleId: string;
  readonly ts: number;
}

/** Every impression and play but those of title t0, projected to profile, title and time. */
const steps = [
  { kind: 'filter', name: 'not-t0', fn: (e: Keyed) => e.titleId !== 't0' },
  {
    kind: 'map',
    name: 'project',
    fn: (e: Keyed) => ({ profileId: e.profileId, titleId: e.titleId, ts: e.ts }),
  },
] as const;

export const statelessJob: JobSpec = {
  name: 'BenchStateless',
  sources: [
    { name: 'impressions', steps },
    { name: 'plays', steps },
  ],
  outputs: { main: 'projected' },
};

/** A stateless job, Kafka to Kafka: filter and projection, no keyed state. */
export async function statelessKafka(
  params: KafkaJobParams & { readonly expected: number },
  channel: JobChannel,
): Promise<Measured> {
  const redisRoundTrips = countRedisRoundTrips();
  const job = launchOnKafka({
    job: statelessJob,
    sinks: ['projected'],
    params,
    progress: (m) => m.recordsIn,
  });
  return measureWindow(job, {
    expected: params.expected,
    onReady: channel.ready,
    redisRoundTrips,
    counters: redisWaits,
  });
}

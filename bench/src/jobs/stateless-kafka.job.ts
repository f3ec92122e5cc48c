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

/**
 * The same filter and projection as chain stages (one per source, created per task):
 * what the stage machinery costs over steps written on the source.
 */
export const chainJob: JobSpec = {
  name: 'BenchChain',
  sources: [{ name: 'impressions' }, { name: 'plays' }],
  stages: ['impressions', 'plays'].map((source) => ({
    kind: 'chain' as const,
    id: `keep-${source}`,
    input: source,
    output: `kept-${source}`,
    create: () => steps,
  })),
  outputs: { main: 'projected' },
};

/** A stateless job, Kafka to Kafka: filter and projection, no keyed state. */
export function statelessKafka(
  params: KafkaJobParams & { readonly expected: number },
  channel: JobChannel,
): Promise<Measured> {
  return runStateless(statelessJob, params, channel);
}

/** The same, its steps in chain stages. */
export function chainKafka(
  params: KafkaJobParams & { readonly expected: number },
  channel: JobChannel,
): Promise<Measured> {
  return runStateless(chainJob, params, channel);
}

async function runStateless(
  spec: JobSpec,
  params: KafkaJobParams & { readonly expected: number },
  channel: JobChannel,
): Promise<Measured> {
  const redisRoundTrips = countRedisRoundTrips();
  const job = launchOnKafka({
    job: spec,
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

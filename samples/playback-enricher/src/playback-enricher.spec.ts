import type { JobSpec } from '@stream-gen/runtime';
import { EnricherConfig } from './enricher-config';
import { playbackEnricherSpec } from './generated/playback-enricher.runner.generated';
import { PlaybackEnricher } from './playback-enricher.job';

/** The generated PlaybackEnricher spec with a plain instance per task (no Nest container). */
export function playbackEnricherJob(env: Record<string, string | undefined>): JobSpec {
  return playbackEnricherSpec(() => new PlaybackEnricher(EnricherConfig.from(env)));
}

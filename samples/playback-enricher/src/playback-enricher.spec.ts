import type { JobSpec } from '@stream-gen/runtime';
import { EnricherConfig } from './enricher-config';
import { playbackEnricherSpec } from './generated/playback-enricher.runner.generated';
import { PlaybackEnricher } from './playback-enricher.job';

/**
 * The generated PlaybackEnricher spec with plain instances per task (no Nest
 * container): the job's, with its config read from `env`, and the `parse-plays`
 * stage's (it takes no arguments).
 */
export function playbackEnricherJob(env: Record<string, string | undefined>): JobSpec {
  return playbackEnricherSpec(
    () => new PlaybackEnricher(EnricherConfig.from(env)),
    (stage) => new stage(),
  );
}

import type { Type } from '@nestjs/common';
import type { JobSpec } from '@stream-gen/runtime';
import { EnricherConfig } from './enricher-config';
import { playbackEnricherSpec } from './generated/playback-enricher.runner.generated';
import { PlaybackEnricher } from './playback-enricher.job';
import { TitleLookup } from './title-lookup.stage';

/**
 * The generated PlaybackEnricher spec with plain instances per task (no Nest
 * container): the job's and the `title-lookup` stage's, with their config read from
 * `env`, and the `parse-plays` stage's (it takes no arguments).
 */
export function playbackEnricherJob(env: Record<string, string | undefined>): JobSpec {
  const config = () => EnricherConfig.from(env);
  return playbackEnricherSpec(
    () => new PlaybackEnricher(config()),
    <T>(stage: Type<T>): T =>
      stage === (TitleLookup as Type<unknown>) ? (new TitleLookup(config()) as T) : new stage(),
  );
}

import type { JobSpec } from '@stream-gen/runtime';
import { impressionJoinSpec } from './generated/impression-join.runner.generated';
import { ImpressionJoin } from './impression-join.job';
import { JoinConfig } from './join-config';

/** The generated ImpressionJoin spec with a plain instance per task (no Nest container needed). */
export function impressionJoinJob(env: Record<string, string | undefined> = {}): JobSpec {
  return impressionJoinSpec(() => new ImpressionJoin(JoinConfig.from(env)));
}

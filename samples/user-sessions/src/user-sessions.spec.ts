import type { JobSpec } from '@stream-gen/runtime';
import { userSessionsSpec } from './generated/user-sessions.runner.generated';
import { UserSessions } from './user-sessions.job';

/** The generated UserSessions spec with plain instances per task (no Nest container needed). */
export function userSessionsJob(): JobSpec {
  return userSessionsSpec(
    () => new UserSessions(),
    (stage) => new stage(),
  );
}

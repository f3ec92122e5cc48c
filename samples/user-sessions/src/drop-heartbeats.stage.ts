import { Chain, FilterElement } from '@stream-gen/annotations';
import type { Activity } from './model';

/**
 * Heartbeats are the client's keep-alives, not activity: dropped before the session
 * windows, so a tab left open does not keep a session alive (or join two). Stateless,
 * it reads the source `activity` and writes `active`, the stream the windows read.
 */
@Chain({ id: 'drop-heartbeats', input: 'activity', output: 'active' })
export class DropHeartbeats {
  @FilterElement()
  isActivity(activity: Activity): boolean {
    return activity.action !== 'heartbeat';
  }
}

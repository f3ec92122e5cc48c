import type { JobSpec } from '@stream-gen/runtime';
import { ImpressionJoiner } from './impression-joiner';
import { joinKey, type Impression, type Play } from './model';

export interface ImpressionJoinOptions {
  /** Impressions count for a play when at most this long before it (default 1 h). */
  readonly windowMs?: number;
  /** Bounded out-of-orderness of both inputs (default 10 s). */
  readonly maxOutOfOrdernessMs?: number;
  /** An input silent this long stops holding the watermark (default 30 s). */
  readonly idleTimeoutMs?: number;
}

/**
 * The ImpressionJoin job, wired by hand on the runtime API.
 * Sources `impressions` and `plays`, sink `conversions`, side output `late`.
 */
export function impressionJoinJob(options: ImpressionJoinOptions = {}): JobSpec {
  const eventTime = {
    timestamp: (e: { ts: number }) => e.ts,
    maxOutOfOrdernessMs: options.maxOutOfOrdernessMs ?? 10_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
  };
  return {
    name: 'ImpressionJoin',
    sources: [
      { name: 'impressions', eventTime, key: (i: Impression) => joinKey(i) },
      { name: 'plays', eventTime, key: (p: Play) => joinKey(p) },
    ],
    operator: {
      kind: 'coProcess',
      name: 'ImpressionJoiner',
      inputs: ['impressions', 'plays'],
      create: () => new ImpressionJoiner(options.windowMs),
    },
    outputs: { main: 'conversions', sideOutputs: { late: 'late' }, deadLetters: 'dead-letters' },
  };
}

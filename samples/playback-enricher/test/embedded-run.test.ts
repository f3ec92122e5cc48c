import { silentLogger } from '@stream-gen/runtime';
import { runEmbeddedDemo } from '../src';

import { MOST_CALLS_IN_A_SECOND } from './limits';

describe('PlaybackEnricher on the embedded backends', () => {
  it('accounts for every play exactly once and stays within its limits, over 4 tasks', async () => {
    const result = await runEmbeddedDemo({
      plays: 900,
      seed: 4,
      invalidRate: 0.03,
      latencyMs: 3,
      errorRate: 0.05,
      brokenProfiles: ['p13'],
      logger: silentLogger,
    });
    expect(result.lost).toEqual([]);
    expect(result.duplicated).toEqual([]);
    expect(result.enriched + result.deadLetters).toBe(900);
    expect(Object.keys(result.reasons).sort()).toEqual([
      expect.stringMatching(
        /^enrichment "PlaybackEnricher" failed after 4 attempts: GET <url>\/history\/p13 answered 503$/,
      ),
      'invalid record: $.deviceType: expected one of "tv" | "mobile" | "web" | "console", got "fridge"',
      'invalid record: $.durationMs: expected number, got string',
      'invalid record: $.profileId: required field is missing',
    ]);
    expect(result.maxInFlight).toBeLessThanOrEqual(8);
    expect(result.maxInFlight).toBeGreaterThan(1);
    expect(result.maxCallsPerSecond).toBeLessThanOrEqual(MOST_CALLS_IN_A_SECOND);
    // the rate limit, not the services, sets the pace: 900 plays need more than a second
    expect(result.maxCallsPerSecond).toBeGreaterThan(400);
  });
});

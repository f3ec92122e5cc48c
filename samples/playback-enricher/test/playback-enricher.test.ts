import 'reflect-metadata';
import { JobHarness } from '@stream-gen/runtime/testing';
import { FakeServices, playbackEnricherJob, type EnrichedPlay, type Play } from '../src';
import { MOST_CALLS_IN_A_SECOND } from './limits';

const play = (n: number, profileId = `p${n % 17}`): Play => ({
  playId: `v${n}`,
  profileId,
  titleId: `t${n % 12}`,
  ts: 1_700_000_000_000 + n,
  deviceType: 'tv',
  durationMs: 30 * 60_000,
});

describe('PlaybackEnricher', () => {
  let services: FakeServices;

  afterEach(async () => {
    await services.stop();
  });

  async function harness(options: ConstructorParameters<typeof FakeServices>[0]) {
    services = new FakeServices(options);
    const url = await services.start();
    return JobHarness.create({
      job: playbackEnricherJob({ PLAYBACK_HISTORY_URL: url, VIDEO_METADATA_URL: url }),
    });
  }

  it('enriches with history and title metadata, and sends every other record to dead letters with a reason', async () => {
    const h = await harness({ latencyMs: 2, brokenProfiles: ['broken'] });
    await h.push('plays', play(1), play(3), play(2, 'broken'), {
      ...play(4),
      deviceType: 'fridge',
    });
    expect(h.output<EnrichedPlay>()).toEqual([
      {
        ...play(1),
        title: { name: 'Title 1', genre: 'comedy' },
        completion: 30 / 50,
        history: { totalPlays: 14, rewatch: true },
      },
      {
        ...play(3),
        title: { name: 'Title 3', genre: 'drama' },
        completion: 30 / 70,
        history: { totalPlays: 14, rewatch: true },
      },
    ]);
    expect(h.deadLetters().map((d) => d.reason)).toEqual([
      // validation happens before any call, so that dead letter comes first
      'invalid record: $.deviceType: expected one of "tv" | "mobile" | "web" | "console", got "fridge"',
      expect.stringMatching(
        /^enrichment "PlaybackEnricher" failed after 4 attempts: GET http:\/\/127\.0\.0\.1:\d+\/history\/broken answered 503$/,
      ),
    ]);
    h.close();
  });

  it('never exceeds its concurrency or rate limit, and accounts for every record exactly once', async () => {
    const h = await harness({ latencyMs: 4, errorRate: 0.05 });
    const plays = Array.from({ length: 600 }, (_, n) => play(n));
    for (let i = 0; i < plays.length; i += 100) await h.push('plays', ...plays.slice(i, i + 100));
    const enriched = h.output<EnrichedPlay>().map((p) => p.playId);
    const dead = h.deadLetters().map((d) => (d.value as Play).playId);
    expect([...enriched, ...dead].sort()).toEqual(plays.map((p) => p.playId).sort());
    expect(new Set(enriched).size).toBe(enriched.length);
    expect(services.maxInFlight).toBeLessThanOrEqual(8);
    expect(services.maxInFlight).toBeGreaterThan(1);
    // retries count too
    expect(services.maxCallsPerSecond()).toBeLessThanOrEqual(MOST_CALLS_IN_A_SECOND);
    h.close();
  });
});

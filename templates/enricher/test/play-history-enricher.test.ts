import 'reflect-metadata';
import { JobHarness } from '@stream-gen/runtime/testing';
import { playHistoryEnricherSpec } from '../src/generated/play-history-enricher.runner.generated';
import { PlayHistoryEnricher } from '../src/play-history-enricher.job';

const job = playHistoryEnricherSpec(() => new PlayHistoryEnricher());
const play = (playId: string, titleId: string, ts: number) => ({
  playId,
  profileId: 'p1',
  titleId,
  deviceType: 'tv' as const,
  durationMs: 120_000,
  ts,
});

describe('PlayHistoryEnricher', () => {
  it('adds the history of the profile before each play', async () => {
    const h = await JobHarness.create({ job });
    await h.push('plays', play('a', 't1', 1_000), play('b', 't2', 2_000));
    expect(h.output()).toEqual([
      { ...play('a', 't1', 1_000), playsBefore: 0, minutesBefore: 0, lastTitleId: null },
      { ...play('b', 't2', 2_000), playsBefore: 1, minutesBefore: 2, lastTitleId: 't1' },
    ]);
  });

  it('rejects a play with an unknown device type, naming the field', async () => {
    const h = await JobHarness.create({ job });
    await h.push('plays', { ...play('c', 't1', 0), deviceType: 'fridge' });
    expect(h.deadLetters()[0].reason).toBe(
      'invalid record: $.deviceType: expected one of "tv" | "mobile" | "web", got "fridge"',
    );
  });
});

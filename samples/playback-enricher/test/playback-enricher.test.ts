import 'reflect-metadata';
import { JobHarness } from '@stream-gen/runtime/testing';
import {
  defaultTitles,
  FakeServices,
  formatHeartbeat,
  formatLine,
  formatPlay,
  playbackEnricherJob,
  type EnrichedPlay,
  type Play,
} from '../src';
import { MOST_CALLS_IN_A_SECOND } from './limits';

const play = (n: number, profileId = `p${n % 17}`): Play => ({
  playId: `v${n}`,
  profileId,
  titleId: `t${n % 12}`,
  ts: 1_700_000_000_000 + n,
  deviceType: 'tv',
  durationMs: 30 * 60_000,
});
const line = (...plays: Play[]) => formatLine(plays.map(formatPlay));
const ids = (h: JobHarness) => h.records('main').map((r) => r.headers['stream-gen-id']);

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
    await h.push('plays', line(play(1)), line(play(3)), line(play(2, 'broken')), { ...play(4) });
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
    expect(h.deadLetters().map((d) => [d.reason, d.value])).toEqual([
      // validation happens before any call, so that dead letter comes first; it
      // checks the record is a line: the parser checks the plays in it
      ['invalid record: $: expected string, got object', play(4)],
      [
        expect.stringMatching(
          /^enrichment "PlaybackEnricher" failed after 4 attempts: GET http:\/\/127\.0\.0\.1:\d+\/history\/broken answered 503$/,
        ),
        play(2, 'broken'),
      ],
    ]);
    h.close();
  });

  it('adds title metadata in the title-lookup stage, from a table loaded before the first play', async () => {
    const titles = defaultTitles().filter((t) => t.titleId !== 't3');
    const h = await harness({ latencyMs: 1, titles });
    expect(services.titleLoads).toBe(1);
    await h.push('plays', line(play(1), play(3)));
    // a title the table does not hold gives no metadata, not a dead letter
    expect(
      h.output<EnrichedPlay>().map((p) => [p.playId, p.title?.name ?? null, p.completion]),
    ).toEqual([
      ['v1', 'Title 1', 30 / 50],
      ['v3', null, null],
    ]);
    expect(h.deadLetters()).toEqual([]);
    h.close();
  });

  it('dead-letters a line the parser refuses, with the reason naming the stage and its step', async () => {
    const h = await harness({ latencyMs: 1 });
    const malformed = [
      `${formatPlay(play(1))}; play v2 p2 t2 1700000000002 fridge 60000`,
      'play v3 p3 t3 1700000000003 tv',
      'play v4 p4 t4 1700000000004 tv long',
      'stop v5',
    ];
    await h.push('plays', ...malformed);
    expect(h.deadLetters()).toEqual([
      {
        reason:
          'flatMap step "parse-plays.parse" threw: entry 2 "play v2 p2 t2 1700000000002 fridge 60000": deviceType "fridge" is not one of tv, mobile, web, console',
        source: 'plays',
        partition: 0,
        offset: 0,
        value: malformed[0],
      },
      expect.objectContaining({
        reason:
          'flatMap step "parse-plays.parse" threw: entry 1 "play v3 p3 t3 1700000000003 tv": expected 7 fields (play <playId> <profileId> <titleId> <ts> <deviceType> <durationMs>), got 6',
      }),
      expect.objectContaining({
        reason:
          'flatMap step "parse-plays.parse" threw: entry 1 "play v4 p4 t4 1700000000004 tv long": durationMs "long" is not a whole number',
      }),
      expect.objectContaining({
        reason:
          'flatMap step "parse-plays.parse" threw: entry 1 "stop v5": unknown entry kind "stop" (play, heartbeat)',
      }),
    ]);
    // the good play of the first line is not enriched either: a line goes as a whole
    expect(h.output()).toEqual([]);
    expect(services.historyCalls).toBe(0);
    h.close();
  });

  it('gives nothing for a line the filter empties or without plays, and one output per play of a line', async () => {
    const h = await harness({ latencyMs: 1 });
    const stopped = { ...play(1), durationMs: 0 };
    await h.push(
      'plays',
      line(stopped),
      formatHeartbeat('p1', 1_700_000_000_000),
      '',
      formatLine([
        formatPlay(play(2)),
        formatHeartbeat('p2', 1),
        formatPlay(stopped),
        formatPlay(play(3)),
      ]),
    );
    expect(h.output<EnrichedPlay>().map((p) => p.playId)).toEqual(['v2', 'v3']);
    expect(h.deadLetters()).toEqual([]);
    // nothing was looked up for what the filter dropped
    expect(services.historyCalls).toBe(2);
    // named after the line's offset and the play's place among the line's kept plays
    expect(ids(h)).toEqual(['PlaybackEnricher/0/plays@3.0#0', 'PlaybackEnricher/0/plays@3.1#0']);

    // a replay after a crash (no checkpoint taken) gives the same outputs the same ids,
    // so a consumer can drop the repeats
    const replay = await h.restart();
    await replay.push('plays', line(stopped), formatHeartbeat('p1', 1), '', line(play(2), play(3)));
    expect(ids(replay)).toEqual(ids(h));
    h.close();
    replay.close();
  });

  it('never exceeds its concurrency or rate limit, and accounts for every record exactly once', async () => {
    const h = await harness({ latencyMs: 4, errorRate: 0.05 });
    const plays = Array.from({ length: 600 }, (_, n) => play(n));
    // two plays a line
    const lines = Array.from({ length: plays.length / 2 }, (_, i) =>
      line(plays[2 * i], plays[2 * i + 1]),
    );
    for (let i = 0; i < lines.length; i += 50) await h.push('plays', ...lines.slice(i, i + 50));
    const enriched = h.output<EnrichedPlay>().map((p) => p.playId);
    const dead = h.deadLetters().map((d) => (d.value as Play).playId);
    expect([...enriched, ...dead].sort()).toEqual(plays.map((p) => p.playId).sort());
    expect(new Set(enriched).size).toBe(enriched.length);
    expect(new Set(h.records().map((r) => r.headers['stream-gen-id'])).size).toBe(plays.length);
    expect(services.maxInFlight).toBeLessThanOrEqual(8);
    expect(services.maxInFlight).toBeGreaterThan(1);
    // retries count too
    expect(services.maxCallsPerSecond()).toBeLessThanOrEqual(MOST_CALLS_IN_A_SECOND);
    h.close();
  });
});

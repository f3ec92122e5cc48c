import { JobHarness } from '@stream-gen/runtime/testing';
import {
  generateEvents,
  impressionJoinJob,
  referenceJoin,
  runEmbeddedDemo,
  type Impression,
  type Play,
} from '../src';
import { silentLogger } from '@stream-gen/runtime';

const H = 3_600_000;

describe('ImpressionJoin', () => {
  it('equals the batch reference join over shuffled input within the bound, whatever the partitioning', async () => {
    for (const partitions of [1, 3]) {
      const result = await runEmbeddedDemo({
        impressions: 3000,
        seed: 7,
        partitions,
        logger: silentLogger,
      });
      expect(result.mismatches).toEqual([]);
      expect(result.late).toBe(0);
      expect(result.conversions).toBeGreaterThan(500);
    }
  });

  it('routes late events to the late output and still matches the reference on the rest', async () => {
    const result = await runEmbeddedDemo({
      impressions: 3000,
      seed: 3,
      lateRate: 0.02,
      logger: silentLogger,
    });
    expect(result.late).toBeGreaterThan(0);
    expect(result.mismatches).toEqual([]);
  });

  it('joins by the window rule: counts, first ts, last impression with ties by id', async () => {
    const h = await JobHarness.create({ job: impressionJoinJob() });
    const imp = (impressionId: string, ts: number, row = 1, rank = 1): Impression => ({
      impressionId,
      profileId: 'p',
      titleId: 't',
      ts,
      row,
      rank,
    });
    const play: Play = { playId: 'v1', profileId: 'p', titleId: 't', ts: 2 * H };
    await h.push(
      'impressions',
      imp('a', H - 1),
      imp('b', H),
      imp('c', 2 * H, 5, 6),
      imp('d', 2 * H, 7, 8),
      imp('e', 2 * H + 1),
    );
    await h.push('plays', play, { ...play, playId: 'v2', profileId: 'nobody' });
    expect(h.output()).toEqual([]);
    await h.advanceWatermark(2 * H);
    expect(h.output()).toEqual([
      // same timestamp: timers fire in key order, and 'nobody_t' < 'p_t'
      {
        playId: 'v2',
        profileId: 'nobody',
        titleId: 't',
        playTs: 2 * H,
        impressionCount: 0,
        firstImpressionTs: null,
        lastImpressionId: null,
        lastImpressionRow: null,
        lastImpressionRank: null,
      },
      {
        playId: 'v1',
        profileId: 'p',
        titleId: 't',
        playTs: 2 * H,
        impressionCount: 3,
        firstImpressionTs: H,
        lastImpressionId: 'd',
        lastImpressionRow: 7,
        lastImpressionRank: 8,
      },
    ]);
  });

  it('drops impressions from state once the watermark passes ts + 1h', async () => {
    const h = await JobHarness.create({ job: impressionJoinJob() });
    const events = generateEvents({ impressions: 500, seed: 11, playRate: 0 });
    for (const e of events) await h.push(e.topic, e.value);
    await h.advanceWatermark(Date.UTC(2026, 0, 1) + 8 * H);
    const keys = new Set(events.map((e) => `${e.value.profileId}_${e.value.titleId}`));
    for (const key of keys) expect(await h.state('impressions', key)).toBeUndefined();
    expect(h.pendingTimers().event).toEqual([]);
  });

  it('gives the same conversions after a crash and restore from a checkpoint', async () => {
    const events = generateEvents({ impressions: 800, seed: 5 });
    const impressions = events
      .filter((e) => e.topic === 'impressions')
      .map((e) => e.value as Impression);
    const plays = events.filter((e) => e.topic === 'plays').map((e) => e.value as Play);
    let h = await JobHarness.create({ job: impressionJoinJob() });
    const out: unknown[] = [];
    let sinceCheckpoint: typeof events = [];
    for (const [i, e] of events.entries()) {
      await h.push(e.topic, e.value);
      sinceCheckpoint.push(e);
      if (i % 97 === 0) {
        await h.checkpoint();
        out.push(...h.output());
        h.clearOutputs();
        sinceCheckpoint = [];
      }
      if (i % 211 === 0) {
        // crash: everything since the checkpoint is lost and read again
        h = await h.restart();
        for (const again of sinceCheckpoint) await h.push(again.topic, again.value);
      }
    }
    await h.endOfInput();
    out.push(...h.output());
    const byId = (a: { playId: string }, b: { playId: string }) => a.playId.localeCompare(b.playId);
    expect((out as Play[]).sort(byId)).toEqual(referenceJoin(impressions, plays).sort(byId));
  });
});

import type { SourceSpec } from '../src';
import { routeRecord } from '../src/runner/rekey-route';
import { stableHash } from '../src/util/stable-hash';

interface Word {
  word: string;
  ts: number;
}

const PARTITIONS = 4;
const lines: SourceSpec = {
  name: 'lines',
  key: (w: Word) => w.word,
  eventTime: { timestamp: (w: Word) => w.ts, maxOutOfOrdernessMs: 0, maxFutureMs: 1_000 },
  validate: (l) => (typeof (l as { text?: unknown }).text === 'string' ? undefined : 'no text'),
  steps: [
    {
      kind: 'flatMap',
      name: 'split',
      fn: (l: { text: string; ts: number }) => {
        if (l.text === 'boom') throw new Error('boom');
        return l.text.split(' ').map((word, i) => ({ word, ts: l.ts + i }));
      },
    },
    { kind: 'filter', name: 'no-the', fn: (w: Word) => w.word !== 'the' },
  ],
};
const route = (value: unknown, now = 10_000) =>
  routeRecord(lines, JSON.stringify(value), { partitions: PARTITIONS, retries: 0, now });
const partitionOf = (word: string) => stableHash(word) % PARTITIONS;

describe('where the re-keying stage sends a record', () => {
  it('sends each value a flatMap gives to the partition of its key, naming its indexes after the filter', () => {
    const words = ['apple', 'the', 'pear', 'plum', 'apple', 'fig', 'kiwi'];
    const { routes } = route({ text: words.join(' '), ts: 100 });
    const kept = words.filter((w) => w !== 'the');
    const expected = new Map<number, number[]>();
    kept.forEach((w, i) =>
      expected.set(partitionOf(w), [...(expected.get(partitionOf(w)) ?? []), i]),
    );
    expect(expected.size).toBeGreaterThan(1);
    expect(new Map(routes.map((r) => [r.partition, r.values]))).toEqual(expected);
    for (const r of routes) expect(partitionOf(r.key ?? '')).toBe(r.partition);
  });

  it('sends a record whose values all share a partition as a whole (no indexes)', () => {
    expect(route({ text: 'fig fig the', ts: 1 }).routes).toEqual([
      { partition: partitionOf('fig'), key: 'fig' },
    ]);
  });

  it('sends what the task dead-letters to partition 0, once', () => {
    const whole = [{ partition: 0, key: null }];
    expect(route({ text: 'boom', ts: 1 }).routes).toEqual(whole); // the step throws
    expect(route({ ts: 1 }).routes).toEqual(whole); // invalid
    expect(route(null).routes).toEqual(whole);
    expect(routeRecord(lines, '{not json', { partitions: 4, retries: 0, now: 0 }).routes).toEqual(
      whole,
    );
    expect(route({ text: 'the the', ts: 1 }).routes).toEqual(whole); // filtered out
  });

  it('moves the mark by the values whose event time is not ahead of the given processing time', () => {
    expect(route({ text: 'apple pear fig', ts: 100 }).maxEventTime).toBe(102);
    // 9 500 + 2 is within 1 s of 10 000 as processing time, but not of 8 000
    expect(route({ text: 'apple pear fig', ts: 9_500 }).maxEventTime).toBe(9_502);
    expect(route({ text: 'apple pear fig', ts: 9_500 }, 8_000).maxEventTime).toBeUndefined();
  });
});

/**
 * The exchange protocol's downstream end, case by case: what an upstream crash at each
 * point leaves in the exchange, and what the gate applies of it.
 */
import { EpochGate } from '../src/task/epoch-gate';
import type { ExchangeElement, ExchangeMarker } from '../src/task/exchange-envelope';
import { BEGINNING_OF_TIME, END_OF_TIME } from '../src/time/time-bounds';

const el = (u: number, e: number, a: string, id: string, t = 0): ExchangeElement => ({
  x: 'e',
  u,
  e,
  a,
  id,
  t,
  v: JSON.stringify(id),
});
const mark = (u: number, e: number, a: string, w = 0, end?: true): ExchangeMarker => ({
  x: 'm',
  u,
  e,
  a,
  w,
  ...(end ? { end } : {}),
});

/** Feeds records at offsets 0, 1, ...; returns the ids each marker released. */
function feed(gate: EpochGate, records: Array<ExchangeElement | ExchangeMarker>, from = 0) {
  const released: string[][] = [];
  records.forEach((r, i) => {
    if (r.x === 'e') gate.element(from + i, r);
    else {
      const out = gate.marker(r);
      if (out) released.push(out.elements.map((b) => b.element.id));
    }
  });
  return released;
}

describe('EpochGate', () => {
  it('releases an epoch at its marker, in order, and only then', () => {
    const gate = new EpochGate(1);
    expect(feed(gate, [el(0, 1, 'A', 'x'), el(0, 1, 'A', 'y')])).toEqual([]);
    expect(gate.bufferedCount).toBe(2);
    expect(feed(gate, [mark(0, 1, 'A', 500)], 2)).toEqual([['x', 'y']]);
    expect(gate.watermark).toBe(500);
  });

  it('drops what an attempt sent for an epoch it never committed (crash before the commit)', () => {
    const gate = new EpochGate(1);
    const released = feed(gate, [
      mark(0, 1, 'A'),
      el(0, 2, 'A', 'first try: a batch of two'),
      el(0, 2, 'A', 'first try, again'),
      // A died before committing 2; B restored 1 and processed the input again
      mark(0, 1, 'A'),
      el(0, 2, 'B', 'second try: one batch'),
      mark(0, 2, 'B'),
    ]);
    expect(released).toEqual([[], ['second try: one batch']]);
    expect(gate.dropped).toBe(2);
  });

  it('applies an epoch whose attempt died between its commit and its markers', () => {
    const gate = new EpochGate(1);
    // A committed 1 and died; B restored 1 and sends its marker, naming A
    const released = feed(gate, [el(0, 1, 'A', 'x'), mark(0, 1, 'A'), el(0, 2, 'B', 'y')]);
    expect(released).toEqual([['x']]);
    expect(gate.bufferedCount).toBe(1);
  });

  it('drops resent markers and elements of applied epochs (a stale owner, a re-read)', () => {
    const gate = new EpochGate(1);
    feed(gate, [el(0, 1, 'A', 'x'), mark(0, 1, 'A')]);
    expect(feed(gate, [el(0, 1, 'Z', 'stale'), mark(0, 1, 'A'), mark(0, 1, 'Z')])).toEqual([]);
    expect(gate.dropped).toBe(1);
  });

  it('keeps later epochs buffered across an earlier marker (background checkpoints)', () => {
    const gate = new EpochGate(1);
    const released = feed(gate, [
      el(0, 1, 'A', 'one'),
      el(0, 2, 'A', 'two'),
      mark(0, 1, 'A'),
      mark(0, 2, 'A'),
    ]);
    expect(released).toEqual([['one'], ['two']]);
  });

  it('restarts from the earliest element still buffered, with the applied epochs', () => {
    const gate = new EpochGate(2);
    feed(gate, [el(0, 1, 'A', 'u0'), el(1, 1, 'B', 'u1'), mark(0, 1, 'A')]);
    // u1's element at offset 1 is not applied yet: a restart must read it again
    expect(gate.safeOffset(3)).toBe(1);
    const snapshot = gate.snapshot();
    const restarted = new EpochGate(2);
    restarted.restore(snapshot);
    // reading again from offset 1: u1's element is buffered again, u0's marker is a resend
    expect(feed(restarted, [el(1, 1, 'B', 'u1'), mark(0, 1, 'A'), mark(1, 1, 'B')], 1)).toEqual([
      ['u1'],
    ]);
  });

  it('takes the minimum watermark over upstream tasks; ends when all ended', () => {
    const gate = new EpochGate(2);
    feed(gate, [mark(0, 1, 'A', 900)]);
    expect(gate.watermark).toBe(BEGINNING_OF_TIME);
    feed(gate, [mark(1, 1, 'B', 400)]);
    expect(gate.watermark).toBe(400);
    feed(gate, [mark(0, 2, 'A', 0, true), mark(1, 2, 'B', 0, true)]);
    expect(gate.watermark).toBe(END_OF_TIME);
    expect(gate.ended).toBe(true);
  });

  it('refuses a record of an upstream task it does not know', () => {
    expect(() => new EpochGate(2).element(0, el(2, 1, 'A', 'x'))).toThrow(
      'exchange record names upstream task 2, but the upstream has 2 task(s)',
    );
  });
});

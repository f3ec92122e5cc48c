/**
 * The gate after a rewind (see "Rewind" in task/epoch-gate.ts): what the exchange still
 * holds of the discarded timeline of an upstream task, and what the gate applies of it
 * with the void range the rewind recorded, and without.
 */
import { EpochGate } from '../src/task/epoch-gate';
import type { ExchangeElement, ExchangeMarker } from '../src/task/exchange-envelope';
import type { VoidEpochs } from '../src/state/checkpoint';

const el = (u: number, e: number, a: string, id: string): ExchangeElement => ({
  x: 'e',
  u,
  e,
  a,
  id,
  t: 0,
  v: JSON.stringify(id),
});
const mark = (u: number, e: number, a: string, end?: true): ExchangeMarker => ({
  x: 'm',
  u,
  e,
  a,
  w: e * 100,
  ...(end ? { end } : {}),
});

/** Feeds records at offsets from, from + 1, ...; returns the ids each marker released. */
function feed(gate: EpochGate, records: Array<ExchangeElement | ExchangeMarker>, from = 0) {
  const released: string[] = [];
  records.forEach((r, i) => {
    if (r.x === 'e') gate.element(from + i, r);
    else released.push(...(gate.marker(r)?.elements.map((b) => b.element.id) ?? []));
  });
  return released;
}

/**
 * Upstream task 0, attempt A, committed epochs 1 to 5 and sent epoch 6 without
 * committing it, ending its input on 5; the downstream had applied epoch 2. Rewound to
 * checkpoint 3 with latest 5, the upstream restores it as checkpoint 7 (5 + 2), sends
 * that marker naming A, and goes on as attempt B with epochs 8 and on; it processes the
 * input of epochs 4 and 5 again. Upstream task 1 is not rewound (its target is its latest).
 */
const afterApplied2 = [
  el(0, 3, 'A', 'three'),
  mark(0, 3, 'A'),
  el(0, 4, 'A', 'four (discarded)'),
  el(1, 1, 'C', 'task 1, one'),
  mark(0, 4, 'A'),
  mark(1, 1, 'C'),
  el(0, 5, 'A', 'five (discarded)'),
  mark(0, 5, 'A', true),
  el(0, 6, 'A', 'six (never committed)'),
  // the new timeline
  mark(0, 7, 'A'),
  el(0, 8, 'B', 'four again'),
  el(0, 8, 'B', 'five again'),
  mark(0, 8, 'B'),
];
const applied2 = { '0': { epoch: 2, attempt: 'A', watermark: 200, ended: false } };
const rewound: VoidEpochs = { '0': [[3, 7]] };

describe('EpochGate after a rewind', () => {
  it('applies the shared history once, drops what the rewind discarded, applies the new timeline', () => {
    const gate = new EpochGate(2);
    gate.restore(applied2, rewound);
    expect(feed(gate, afterApplied2)).toEqual(['three', 'task 1, one', 'four again', 'five again']);
    // the discarded elements of 4 and 5, the uncommitted 6, markers 4, 5 (its end) and 7
    expect(gate.voided).toBe(6);
    expect(gate.ended).toBe(false);
    expect(gate.watermark).toBe(100); // task 1's; task 0's is epoch 8's, 800
    // applied past the range: nothing of it is left to drop
    expect(gate.voidSnapshot()).toBeUndefined();
  });

  it('without the void range, applies the discarded epochs and then the same input again', () => {
    const gate = new EpochGate(2);
    gate.restore(applied2);
    expect(feed(gate, afterApplied2)).toEqual([
      'three',
      'four (discarded)',
      'task 1, one',
      'five (discarded)',
      'four again',
      'five again',
    ]);
  });

  it('keeps the range across a checkpoint taken inside it, and only the part still ahead', () => {
    const gate = new EpochGate(2);
    // an earlier rewind's range, now behind the applied epoch 2, and an empty one
    gate.restore(applied2, { '0': [[0, 1], ...rewound['0']], '1': [[0, 0]] });
    expect(gate.voidSnapshot()).toEqual(rewound);
    expect(feed(gate, afterApplied2.slice(0, 7))).toEqual(['three', 'task 1, one']);
    const checkpoint = {
      applied: gate.snapshot(),
      voids: gate.voidSnapshot(),
      position: gate.safeOffset(7),
    };
    expect(checkpoint).toMatchObject({ voids: { '0': [[3, 7]] }, position: 7 });
    // a restart from that checkpoint reads again from its position
    const restarted = new EpochGate(2);
    restarted.restore(checkpoint.applied, checkpoint.voids);
    const rest = afterApplied2.slice(checkpoint.position);
    expect(feed(restarted, rest, checkpoint.position)).toEqual(['four again', 'five again']);
    expect(restarted.voided).toBe(3); // marker 5, element 6, marker 7
  });

  it('drops a discarded end marker: the stage does not end with the discarded timeline', () => {
    const gate = new EpochGate(1);
    gate.restore({}, { '0': [[0, 4]] });
    feed(gate, [el(0, 1, 'A', 'x'), mark(0, 1, 'A', true)]);
    expect(gate.ended).toBe(false);
    expect(feed(gate, [el(0, 5, 'B', 'y'), mark(0, 5, 'B', true)])).toEqual(['y']);
    expect(gate.ended).toBe(true);
  });
});

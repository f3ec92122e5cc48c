import { BinaryHeap } from '../src/util/binary-heap';
import { seededRandom } from '../src/testing';

test('pops in order whatever the pushes and pops in between (seeded, with ties)', () => {
  const rnd = seededRandom(7);
  const heap = new BinaryHeap<number>((a, b) => a < b);
  const model: number[] = [];
  for (let step = 0; step < 20_000; step++) {
    if (model.length === 0 || rnd() < 0.6) {
      const value = Math.floor(rnd() * 500);
      heap.push(value);
      model.push(value);
    } else {
      model.sort((a, b) => a - b);
      expect(heap.pop()).toBe(model.shift());
    }
    expect(heap.size).toBe(model.length);
    expect(heap.peek()).toBe(model.length ? Math.min(...model) : undefined);
  }
  expect(heap.pop()).toBe(model.length ? Math.min(...model) : undefined);
});

import { HEADER_ID, HEADER_OFFSET, HEADER_REASON, type JobSpec } from '../src';
import { JobHarness } from '../src/testing';

interface Reading {
  sensor: string;
  value: number;
}

const job: JobSpec = {
  name: 'Readings',
  sources: [
    {
      name: 'readings',
      validate: (v) =>
        typeof (v as Reading)?.value === 'number' ? undefined : 'field "value" must be a number',
      steps: [
        { kind: 'filter', name: 'positive', fn: (r: Reading) => r.value >= 0 },
        { kind: 'map', name: 'scale', fn: (r: Reading) => ({ ...r, value: 100 / r.value }) },
        {
          kind: 'flatMap',
          name: 'split',
          fn: (r: Reading) => r.sensor.split('+').map((sensor) => ({ ...r, sensor })),
        },
      ],
    },
  ],
  outputs: { main: 'out', deadLetters: 'dlq' },
};

describe('stateless steps and bad input', () => {
  it('filters, maps and flat-maps; every output has a distinct stable id', async () => {
    const h = await JobHarness.create({ job });
    await h.push(
      'readings',
      { sensor: 'a+b', value: 4 },
      { sensor: 'c', value: -1 },
      { sensor: 'd', value: 50 },
    );
    expect(h.output()).toEqual([
      { sensor: 'a', value: 25 },
      { sensor: 'b', value: 25 },
      { sensor: 'd', value: 2 },
    ]);
    expect(h.records('main').map((r) => r.headers[HEADER_ID])).toEqual([
      'Readings/0/readings@0.0#0',
      'Readings/0/readings@0.1#0',
      'Readings/0/readings@2.0#0',
    ]);
  });

  it('sends invalid, undecodable and failing records to the dead letters with the reason, and keeps going', async () => {
    const h = await JobHarness.create({ job });
    await h.pushRaw(
      'readings',
      '{"sensor":"a","value":"high"}',
      'not json',
      '{"value":1}',
      '{"sensor":"ok","value":10}',
    );
    expect(h.output()).toEqual([{ sensor: 'ok', value: 10 }]);
    const letters = h.deadLetters();
    expect(letters.map((l) => [l.offset, l.reason])).toEqual([
      [0, 'invalid record: field "value" must be a number'],
      [1, expect.stringMatching(/^not valid JSON: /)],
      [
        2,
        expect.stringMatching(/^flatMap step "split" threw: Cannot read properties of undefined/),
      ],
    ]);
    expect(letters[1].value).toBe('not json');
    const headers = h.records('dead-letter')[0].headers;
    expect(headers[HEADER_REASON]).toBe('invalid record: field "value" must be a number');
    expect(headers[HEADER_OFFSET]).toBe('0');
    expect(h.metrics.deadLetters).toBe(3);
  });
});

describe('outputs JSON cannot hold', () => {
  it('become dead letters of the element that made them, and the job goes on', async () => {
    const h = await JobHarness.create({
      job: {
        name: 'Big',
        sources: [
          {
            name: 'in',
            steps: [
              { kind: 'map', fn: (v: { n: number }) => (v.n === 2 ? { n: BigInt(v.n) } : v) },
            ],
          },
        ],
        outputs: { main: 'out', deadLetters: 'dlq' },
      },
    });
    await h.push('in', { n: 1 }, { n: 2 }, { n: 3 });
    expect(h.output()).toEqual([{ n: 1 }, { n: 3 }]);
    expect(h.deadLetters().map((d) => [d.offset, d.reason])).toEqual([
      [1, 'output is not JSON: Do not know how to serialize a BigInt'],
    ]);
  });
});

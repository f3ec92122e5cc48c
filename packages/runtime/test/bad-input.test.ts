import {
  HEADER_ID,
  HEADER_OFFSET,
  HEADER_PARTITION,
  HEADER_REASON,
  HEADER_SOURCE,
  type DeadLetter,
  type ElementContext,
  type JobSpec,
  type SourceSpec,
  type Validator,
} from '../src';
import { DEFAULT_MAX_RECORD_BYTES } from '../src/job/job-spec';
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

interface Timed {
  sensor: string;
  value: number;
  ts: number;
}

/** A keyed job that echoes each reading; `source` overrides parts of its only source. */
function keyedJob(source: Partial<SourceSpec> = {}, validate?: Validator): JobSpec {
  return {
    name: 'Keyed',
    sources: [
      {
        name: 'readings',
        validate,
        eventTime: { timestamp: (r: Timed) => r.ts, maxOutOfOrdernessMs: 0 },
        key: (r: Timed) => r.sensor,
        ...source,
      },
    ],
    operator: {
      kind: 'process',
      name: 'echo',
      input: 'readings',
      create: () => ({ processElement: (r: Timed, ctx: ElementContext<Timed>) => ctx.emit(r) }),
    },
    outputs: { main: 'out', sideOutputs: { late: 'late' }, deadLetters: 'dlq' },
  };
}

const T0 = 1_000_000;
const ok = (sensor: string, ts = T0): Timed => ({ sensor, value: 1, ts });

/** Pushes `bad` then a good record; both as raw text when `bad` is a string, Buffer or null. */
async function pushBadThenGood(
  job: JobSpec,
  bad: unknown,
  raw = typeof bad === 'string' || bad === null || Buffer.isBuffer(bad),
): Promise<JobHarness> {
  const h = await JobHarness.create({ job, processingTime: T0 });
  if (raw) await h.pushRaw('readings', bad as string | Buffer | null, JSON.stringify(ok('good')));
  else await h.push('readings', bad, ok('good'));
  return h;
}

/** The only dead letter: its reason, and that it names topic, partition and offset (value and headers). */
function onlyDeadLetter(h: JobHarness): DeadLetter {
  const [letter, ...more] = h.deadLetters();
  expect(more).toEqual([]);
  expect(letter).toMatchObject({ source: 'readings', partition: 0, offset: 0 });
  expect(h.records('dead-letter')[0].headers).toMatchObject({
    [HEADER_SOURCE]: 'readings',
    [HEADER_PARTITION]: '0',
    [HEADER_OFFSET]: '0',
    [HEADER_REASON]: letter.reason,
  });
  // processing went on: the record after the bad one came out
  expect(h.output()).toEqual([ok('good')]);
  return letter;
}

const typed: Validator = (v) => {
  const r = v as Partial<Timed>;
  if (typeof r.sensor !== 'string') return '$.sensor: expected string';
  if (typeof r.value !== 'number') return `$.value: expected number, got ${typeof r.value}`;
  return undefined;
};

describe('each kind of bad input goes to the dead letters with reason, topic, partition and offset', () => {
  it('malformed JSON', async () => {
    const letter = onlyDeadLetter(await pushBadThenGood(keyedJob(), '{"sensor": "a", '));
    expect(letter.reason).toMatch(/^not valid JSON: /);
    expect(letter.value).toBe('{"sensor": "a", ');
  });

  it('a field of the wrong type', async () => {
    const h = await pushBadThenGood(keyedJob({}, typed), { ...ok('a'), value: 'high' });
    expect(onlyDeadLetter(h).reason).toBe('invalid record: $.value: expected number, got string');
  });

  it('a missing field', async () => {
    const h = await pushBadThenGood(keyedJob({}, typed), { value: 1, ts: T0 });
    expect(onlyDeadLetter(h).reason).toBe('invalid record: $.sensor: expected string');
  });

  it('a record over maxRecordBytes, counted in UTF-8 bytes, is not decoded', async () => {
    const validate = jest.fn(typed);
    const job = keyedJob({ maxRecordBytes: 64 }, validate);
    const big = JSON.stringify({ ...ok('é'.repeat(25)) }); // 61 characters, 86 bytes
    const letter = onlyDeadLetter(await pushBadThenGood(job, big));
    expect(letter.reason).toBe(
      'record is 86 bytes, over the limit of 64 (maxRecordBytes); not decoded',
    );
    expect(validate).toHaveBeenCalledTimes(1); // the good record only
    const bytes = onlyDeadLetter(await pushBadThenGood(job, Buffer.from(big)));
    expect(bytes.reason).toBe(letter.reason);
  });

  it('a record over the default limit of 1 MiB; its dead letter keeps the first 1024 characters', async () => {
    const huge = JSON.stringify({ ...ok('a'), note: 'x'.repeat(DEFAULT_MAX_RECORD_BYTES) });
    const letter = onlyDeadLetter(await pushBadThenGood(keyedJob(), huge));
    expect(letter.reason).toBe(
      `record is ${huge.length} bytes, over the limit of 1048576 (maxRecordBytes); not decoded`,
    );
    expect(letter.value).toBe(`${huge.slice(0, 1024)}…`);
  });

  it('a null value (a Kafka tombstone), and the JSON text null', async () => {
    for (const bad of [null, 'null']) {
      expect(onlyDeadLetter(await pushBadThenGood(keyedJob(), bad)).reason).toBe(
        'record value is null (a Kafka tombstone or JSON null)',
      );
    }
  });

  it('a null or missing key, and a key that is neither a string nor a finite number', async () => {
    const cases: Array<[unknown, string]> = [
      [{ value: 1, ts: T0 }, 'record has no key: the key selector returned undefined'],
      [{ ...ok('a'), sensor: null }, 'record has no key: the key selector returned null'],
      [{ ...ok('a'), sensor: { id: 1 } }, 'key must be a string or a finite number, got {"id":1}'],
    ];
    for (const [bad, reason] of cases) {
      expect(onlyDeadLetter(await pushBadThenGood(keyedJob(), bad, false)).reason).toBe(reason);
    }
    const nan = keyedJob({ key: () => NaN });
    const h = await JobHarness.create({ job: nan, processingTime: T0 });
    await h.push('readings', ok('a'));
    expect(h.deadLetters()[0].reason).toBe('key must be a string or a finite number, got NaN');
  });

  it('an event time that is not a finite number', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...ok('a'), ts: 'yesterday' }, 'got "yesterday"'],
      [{ ...ok('a'), ts: null }, 'got null'],
      ['{"sensor":"a","value":1,"ts":1e999}', 'got Infinity'],
    ];
    for (const [bad, got] of cases) {
      expect(onlyDeadLetter(await pushBadThenGood(keyedJob(), bad)).reason).toBe(
        `event time must be a finite number (epoch ms), ${got}`,
      );
    }
  });

  it('an event time too far ahead of processing time, which does not move the watermark', async () => {
    const day = 86_400_000;
    const h = await pushBadThenGood(keyedJob(), { ...ok('a'), ts: T0 + day + 1 }, false);
    expect(onlyDeadLetter(h).reason).toBe(
      `event time ${T0 + day + 1} is ${day + 1} ms ahead of processing time ${T0}, more than maxFutureMs (${day})`,
    );
    // Had it moved the watermark, this record would be late.
    expect(h.watermark).toBe(T0);
    await h.push('readings', ok('next', T0 + 1));
    expect(h.sideOutput('late')).toEqual([]);
    expect(h.output()).toEqual([ok('good'), ok('next', T0 + 1)]);
    // A day ahead exactly is allowed; the allowance is configurable.
    await h.push('readings', ok('edge', T0 + day));
    expect(h.deadLetters()).toHaveLength(1);
    const strict = keyedJob();
    const source = strict.sources[0];
    const tight = {
      ...strict,
      sources: [{ ...source, eventTime: { ...source.eventTime!, maxFutureMs: 10 } }],
    };
    const t = await pushBadThenGood(tight, ok('a', T0 + 11), false);
    expect(onlyDeadLetter(t).reason).toMatch(/is 11 ms ahead of processing time .*\(10\)$/);
  });
});

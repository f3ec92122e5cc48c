import { checkJob, type ChainStageSpec, type JobSpec, type Step } from '../src';
import { JobHarness } from '../src/testing';
import { CountThenFire, type Click } from './fixtures';

/** `lines` (raw text) -> parse (flatMap) -> keep (filter) -> `clicks`, counted per user. */
function chainedJob(created: string[] = []): JobSpec {
  const parse: ChainStageSpec = {
    kind: 'chain',
    id: 'parse',
    input: 'lines',
    output: 'parsed',
    create: () => {
      created.push('parse');
      return [
        {
          kind: 'flatMap',
          name: 'split',
          fn: (line: string) => line.split(';').map((part) => JSON.parse(part) as Click),
        },
      ] satisfies Step[];
    },
  };
  const keep: ChainStageSpec = {
    kind: 'chain',
    id: 'keep',
    input: 'parsed',
    output: 'clicks',
    create: async () => {
      created.push('keep');
      return [{ kind: 'filter', name: 'real', fn: (c: Click) => c.user !== 'bot' }];
    },
  };
  return {
    name: 'Chained',
    sources: [
      {
        name: 'lines',
        eventTime: { timestamp: (c: Click) => c.ts, maxOutOfOrdernessMs: 0 },
        key: (c: Click) => c.user,
      },
    ],
    stages: [keep, parse], // in any order: the stream names connect them
    operator: {
      kind: 'process',
      name: 'count',
      input: 'clicks',
      create: () => new CountThenFire(),
    },
    outputs: { main: 'counts', deadLetters: 'dead' },
  };
}

describe('chain stages', () => {
  it('run between the source and the operator, created once per task, named in failures', async () => {
    const created: string[] = [];
    const h = await JobHarness.create({ job: chainedJob(created) });
    expect(created.sort()).toEqual(['keep', 'parse']);
    await h.push(
      'lines',
      JSON.stringify({ user: 'a', ts: 1 }) + ';' + JSON.stringify({ user: 'bot', ts: 2 }),
      JSON.stringify({ user: 'a', ts: 3 }) + ';{oops',
      JSON.stringify({ user: 'b', ts: 4 }),
    );
    await h.endOfInput();
    expect(h.output()).toEqual([
      { user: 'a', count: 1, at: 1001 },
      { user: 'b', count: 1, at: 1004 },
    ]);
    const [letter] = h.deadLetters();
    expect(letter).toMatchObject({ source: 'lines', partition: 0, offset: 1 });
    expect(letter.reason).toMatch(/^flatMap step "parse\.split" threw: /);
  });

  it('tell the operator which stream an element came from', async () => {
    const job = chainedJob();
    const inputs: string[] = [];
    const spec: JobSpec = {
      ...job,
      operator: {
        kind: 'process',
        name: 'count',
        input: 'clicks',
        create: () => ({ processElement: (_v: unknown, ctx) => void inputs.push(ctx.input) }),
      },
    };
    const h = await JobHarness.create({ job: spec });
    await h.push('lines', JSON.stringify({ user: 'a', ts: 1 }));
    expect(inputs).toEqual(['clicks']);
  });

  it('feed the main output of a job without an operator', async () => {
    const { operator: _none, ...stateless } = chainedJob();
    const h = await JobHarness.create({ job: stateless });
    await h.push(
      'lines',
      JSON.stringify({ user: 'bot', ts: 1 }) + ';' + JSON.stringify({ user: 'c', ts: 2 }),
    );
    expect(h.output()).toEqual([{ user: 'c', ts: 2 }]);
  });

  it('are checked: unknown streams, cycles, a branch that ends nowhere, duplicate ids', () => {
    const job = chainedJob();
    const [keep, parse] = job.stages as ChainStageSpec[];
    const invalid =
      (stages: ChainStageSpec[], input = 'clicks') =>
      () =>
        checkJob({ ...job, stages, operator: { ...job.operator!, input } as JobSpec['operator'] });
    expect(invalid([keep])).toThrow(
      'stage "keep" reads unknown stream "parsed" (sources and stage outputs: lines, clicks)',
    );
    expect(
      invalid([
        parse,
        { ...keep, output: 'loop' },
        { ...keep, id: 'back', input: 'loop', output: 'parsed' },
      ]),
    ).toThrow('stream "parsed" is written twice (stage "back")');
    expect(
      invalid(
        [
          { ...parse, input: 'x', output: 'y' },
          { ...keep, input: 'y', output: 'x' },
        ],
        'y',
      ),
    ).toThrow('stages "parse", "keep" form a cycle: no source feeds them');
    // a stream may feed two stages, but each branch must end somewhere
    expect(invalid([parse, keep, { ...keep, id: 'again', output: 'more' }])).toThrow(
      'stream "more" of stage "again" is written but never read: read it in the operator or a stage, or copy it to a sink (outputs.streams)',
    );
    expect(invalid([parse, keep, { ...parse, input: 'clicks', output: 'z' }])).toThrow(
      'stage id "parse" is used twice',
    );
    expect(invalid([parse, keep], 'nowhere')).toThrow(
      'operator "count" reads unknown stream "nowhere" (sources and stage outputs: lines, parsed, clicks)',
    );
  });

  it('after the operator: its main output goes through them to the sink, a throw dead-letters the input', async () => {
    const job = chainedJob();
    const label: ChainStageSpec = {
      kind: 'chain',
      id: 'label',
      input: 'raw-counts',
      output: 'counts',
      create: () => [
        {
          kind: 'flatMap',
          name: 'both',
          fn: (c: { user: string; count: number }) => {
            if (c.user === 'boom') throw new Error('no label for boom');
            return [`${c.user}=${c.count}`, `${c.user}!`];
          },
        },
      ],
    };
    const h = await JobHarness.create({
      job: {
        ...job,
        stages: [...job.stages!, label],
        operator: { ...job.operator!, output: 'raw-counts' } as JobSpec['operator'],
      },
    });
    await h.push(
      'lines',
      JSON.stringify({ user: 'a', ts: 1 }),
      JSON.stringify({ user: 'boom', ts: 2 }),
    );
    await h.endOfInput();
    expect(h.output()).toEqual(['a=1', 'a!']);
    // two outputs of one timer call, each with its own id
    expect(new Set(h.records('main').map((r) => r.headers['stream-gen-id'])).size).toBe(2);
    const [letter] = h.deadLetters();
    expect(letter.reason).toMatch(/flatMap step "label\.both" threw: no label for boom/);
  });
});

/**
 * `@Window` classes: what the analysis accepts (the windows, the key, the function's
 * element type) and one test per misuse, each at `line:col` of what is wrong.
 */
import { analyzeSource, diagnosticsOf } from './virtual-project';

const IMPORTS = `import { LookupTable, Window } from '@stream-gen/annotations';
import type { WindowAggregate, WindowBounds } from '@stream-gen/runtime';
export interface Count { user: string; start: number; n: number; }
`;

/** A window job over clicks: `options` of @Window, `body` of the class (an aggregate by default). */
const windowJob = (
  options = `input: 'clicks', key: 'user', tumbling: { size: '1m' }`,
  body = `createAccumulator(): number { return 0; }
  add(c: Click, n: number): number { return n + 1; }
  merge(a: number, b: number): number { return a + b; }
  result(n: number, w: WindowBounds): Count { return { user: w.key, start: w.start, n }; }`,
) => `${IMPORTS}
@StreamJob({ name: 'Counts' })
@Source<Click>('clicks', { eventTime: 'ts' })
@Sink('counts')
@Window({ ${options} })
export class Counts {
  ${body}
}
`;

/** Diagnostics of a window job; lines counted from the job body (the @Window line is 8). */
const problems = (options?: string, body?: string) => diagnosticsOf(windowJob(options, body));

describe('@Window', () => {
  it('accepts an aggregate over tumbling, sliding and session windows, keyed by its key option', () => {
    for (const [windows, assigner] of [
      [
        `tumbling: { size: '1m', offset: '15s' }`,
        { kind: 'tumbling', sizeMs: 60_000, offsetMs: 15_000 },
      ],
      [
        `sliding: { size: '10s', slide: '2s' }`,
        { kind: 'sliding', sizeMs: 10_000, slideMs: 2_000, offsetMs: 0 },
      ],
      [`session: { gap: '30m' }, allowedLateness: '1m'`, { kind: 'session', gapMs: 1_800_000 }],
    ] as const) {
      const result = analyzeSource(windowJob(`input: 'clicks', key: 'user', ${windows}`));
      expect(result.diagnostics).toEqual([]);
      const op = result.jobs[0].graph.operator!;
      expect(op.window?.assigner).toEqual(assigner);
      expect(op.handlers).toEqual([
        expect.objectContaining({ method: 'add', source: 'clicks', keyType: 'string' }),
      ]);
      expect(op.handlers[0].key?.text).toBe('(e: Click) => e.user');
    }
  });

  it('accepts a full-window function, typed by its elements', () => {
    const body = `process(clicks: readonly Click[], w: WindowBounds): Count[] { return [{ user: w.key, start: w.start, n: clicks.length }]; }`;
    const result = analyzeSource(windowJob(undefined, body));
    expect(result.diagnostics).toEqual([]);
    expect(result.jobs[0].graph.operator?.handlers[0].method).toBe('process');
  });

  it('SG2101: no windows, two kinds, slide above size, an offset off the grid, lateness on processing time', () => {
    expect(problems(`input: 'clicks', key: 'user'`)).toEqual([
      expect.stringMatching(/^8:9 SG2101 @Window needs its windows: one of tumbling/),
    ]);
    expect(
      problems(`input: 'clicks', key: 'user', tumbling: { size: '1m' }, session: { gap: '1m' }`),
    ).toEqual([
      '8:76 SG2101 @Window takes one kind of windows, got tumbling and session: keep one',
    ]);
    expect(problems(`input: 'clicks', key: 'user', sliding: { size: '2s', slide: '10s' }`)).toEqual(
      [
        '8:71 SG2101 sliding window slide (10000 ms) must not exceed its size (2000 ms): elements between two windows would belong to none',
      ],
    );
    expect(
      problems(`input: 'clicks', key: 'user', tumbling: { size: '1m', offset: '2m' }`),
    ).toEqual([
      '8:73 SG2101 window offset must be a whole number of ms below 60000 (the windows repeat every 60000 ms), got 120000',
    ]);
    expect(
      problems(
        `input: 'clicks', key: 'user', tumbling: { size: '1m' }, time: 'processing', allowedLateness: '5s' }`.slice(
          0,
          -2,
        ),
      ),
    ).toEqual([expect.stringMatching(/^8:\d+ SG2101 processing-time windows fire by the clock/)]);
  });

  it('SG1002: a duration that does not parse', () => {
    expect(problems(`input: 'clicks', key: 'user', session: { gap: 'half an hour' }`)).toEqual([
      expect.stringMatching(/^8:57 SG1002 @Window session.gap: "half an hour" is not a duration/),
    ]);
  });

  it('SG2102: neither an aggregate nor a full-window function; an aggregate lacking result; a session aggregate without merge', () => {
    expect(problems(undefined, `apply(c: Click) { return c; }`)).toEqual([
      expect.stringMatching(/^8:1 SG2102 @Window class Counts is neither an aggregate/),
    ]);
    expect(
      problems(
        undefined,
        `createAccumulator() { return 0; }\n  add(c: Click, n: number) { return n + 1; }`,
      ),
    ).toEqual([
      '10:3 SG2102 aggregate Counts lacks result: a window aggregate has createAccumulator(), add(element, acc) and result(acc, window)',
    ]);
    expect(
      problems(
        `input: 'clicks', key: 'user', session: { gap: '1m' }`,
        `createAccumulator() { return 0; }
  add(c: Click, n: number) { return n + 1; }
  result(n: number) { return n; }`,
      ),
    ).toEqual([
      '9:14 SG2102 session windows merge when an element bridges two sessions, so aggregate Counts needs merge(a, b)',
    ]);
  });

  it('SG2103: an accumulator createAccumulator or result does not agree on', () => {
    expect(
      problems(
        undefined,
        `createAccumulator(): string { return ''; }
  add(c: Click, n: number): number { return n + 1; }
  result(n: string) { return n; }`,
      ),
    ).toEqual([
      "10:3 SG2103 createAccumulator() returns a value that is 'string', but add takes the accumulator as 'number'",
      "12:10 SG2103 result takes 'string', but the accumulator is 'number'",
    ]);
  });

  it('SG2103: an accumulator JSON cannot hold; SG2102: an async window function', () => {
    expect(
      problems(
        undefined,
        `createAccumulator(): Set<string> { return new Set(); }
  add(c: Click, users: Set<string>): Set<string> { return users.add(c.user); }
  result(users: Set<string>) { return users.size; }`,
      ),
    ).toEqual([
      expect.stringMatching(/^11:17 SG2103 the accumulator 'Set<string>' cannot be kept as JSON/),
    ]);
    expect(
      problems(
        undefined,
        `createAccumulator(): number { return 0; }
  add(c: Click, n: number): number { return n + 1; }
  async result(n: number) { return n; }`,
      ),
    ).toEqual([
      '12:9 SG2102 window function result returns a promise; windows fire synchronously, so result must return its value',
    ]);
    // elements as an Iterable: checked by type against the source's
    expect(
      problems(
        undefined,
        `process(clicks: Iterable<Click>): number[] { return [[...clicks].length]; }`,
      ),
    ).toEqual([]);
    expect(
      problems(
        undefined,
        `process(counts: Iterable<Count>): number[] { return [[...counts].length]; }`,
      ),
    ).toEqual([
      expect.stringMatching(
        /^10:11 SG1102 process takes elements of 'Count', but stream "clicks" carries 'Click'/,
      ),
    ]);
    // a full-window function with a helper called add is a full-window function
    expect(
      problems(
        undefined,
        `add(a: number, b: number) { return a + b; }
  process(clicks: readonly Click[]): number[] { return [clicks.reduce((n) => this.add(n, 1), 0)]; }`,
      ),
    ).toEqual([]);
  });

  it('SG2104: @State, @Timer or @KeyBy in a window class', () => {
    expect(
      problems(
        undefined,
        `@State() private seen!: ValueState<number>;
  createAccumulator(): number { return 0; }
  add(c: Click, n: number): number { return n + 1; }
  result(n: number) { return n; }`,
      ),
    ).toEqual([
      expect.stringMatching(
        /^10:3 SG2104 @State on 'seen': window class Counts keeps its windows' state/,
      ),
    ]);
    // a lookup table as in any keyed operator (SG1002); SG2103 for merge taking another type
    expect(
      problems(
        undefined,
        `@LookupTable({ refresh: '1m' }) async load() {}
  createAccumulator(): number { return 0; }
  add(c: Click, n: number): number { return n + 1; }
  merge(a: number, b: string): number { return a; }
  result(n: number) { return n; }`,
      ),
    ).toEqual([
      expect.stringMatching(
        /^10:3 SG1002 @LookupTable 'load' is only supported in an @AsyncEnrich job or a @Chain stage/,
      ),
      "13:20 SG2103 merge takes 'string', but the accumulator is 'number'",
    ]);
  });

  it('SG1302 without a key, SG1304 for a key the element lacks, SG1301 for an impure one', () => {
    expect(problems(`input: 'clicks', tumbling: { size: '1m' }`)).toEqual([
      expect.stringMatching(/^8:9 SG1302 @Window needs key: what its windows are per/),
    ]);
    expect(problems(`input: 'clicks', key: 'usr', tumbling: { size: '1m' }`)).toEqual([
      expect.stringMatching(/^8:33 SG1304 @Window key: .*'usr'.*did you mean 'user'/),
    ]);
    expect(
      problems(`input: 'clicks', key: (c: Click) => c.user + Date.now(), tumbling: { size: '1m' }`),
    ).toEqual([
      expect.stringMatching(
        /^8:\d+ SG1301 @Window key must be a pure arrow function or a field path/,
      ),
    ]);
  });

  it('SG1102: an aggregate whose add does not take what the source carries', () => {
    expect(
      problems(
        undefined,
        `createAccumulator(): number { return 0; }
  add(c: Count, n: number): number { return n + 1; }
  result(n: number) { return n; }`,
      ),
    ).toEqual([
      expect.stringMatching(
        /^11:10 SG1102 handler 'add' takes 'Count', but source "clicks" carries 'Click'/,
      ),
    ]);
  });
});

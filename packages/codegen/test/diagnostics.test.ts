import { formatDiagnostic, formatDiagnosticLine } from '../src';
import { analyzeSource, diagnosticsOf, HEADER_LINES, VIRTUAL_ROOT } from './virtual-project';

const coJob = (
  members: string,
  decorators = `@CoProcess({ inputs: ['a', 'b'], output: 'out' })`,
) => `
@StreamJob({ name: 'J' })
@Source('a', { eventTime: 'ts' })
@Source('b', { eventTime: 'ts' })
@Sink('out')
${decorators}
export class J {
${members}
}
`;

const handlers = `
  @ProcessElement('a')
  @KeyBy('user')
  onA(c: Click, ctx: ElementContext<Click>) { ctx.emit(c); }
  @ProcessElement('b')
  @KeyBy((c: Click) => c.user)
  onB(c: Click, ctx: ElementContext<Click>) { ctx.emit(c); }
`;

describe('diagnostics', () => {
  it('accepts a valid co-process job', () => {
    expect(
      diagnosticsOf(
        coJob(
          handlers +
            `  @State() seen!: ValueState<number>;\n  @Timer() t(ts: number, ctx: TimerContext<Click>) {}`,
        ),
      ),
    ).toEqual([]);
  });

  it('SG1101: a @CoProcess input without a handler', () => {
    expect(diagnosticsOf(coJob(handlers.split("@ProcessElement('b')")[0]))).toEqual([
      `6:28 SG1101 @CoProcess input "b" has no handler: add a method with @ProcessElement('b')`,
    ]);
  });

  it('SG1101: a @CoProcess with one input', () => {
    expect(diagnosticsOf(coJob(handlers, `@CoProcess({ inputs: ['a'], output: 'out' })`))).toEqual([
      `4:9 SG1103 source "b" is not an input of @CoProcess; read it or remove it`,
      `6:1 SG1101 @CoProcess needs exactly two different inputs, like inputs: ['left', 'right']; got "a"`,
      `12:3 SG1103 @ProcessElement('b') reads a source that is not an input of @CoProcess`,
    ]);
  });

  it('SG1102: a handler without an element type', () => {
    expect(diagnosticsOf(coJob(handlers.replace('onB(c: Click,', 'onB(c,')))).toEqual([
      `14:7 SG1102 handler 'onB' of source "b" must declare its element type: (element: T, ctx: ElementContext<Out>)`,
    ]);
  });

  it('SG1102: a timer handler that does not take the timestamp first', () => {
    expect(diagnosticsOf(coJob(handlers + `  @Timer() t(ctx: TimerContext<Click>) {}`))).toEqual([
      `15:14 SG1102 timer handler 't' must take the timestamp first: (timestamp: number, ctx: TimerContext<Out>)`,
    ]);
  });

  it('SG1201: a @Timer in a class without a keyed operator', () => {
    const body = `
@StreamJob()
@Source('a', { eventTime: 'ts' })
@Sink('out')
export class J {
  @Timer() t(ts: number) {}
}
`;
    expect(diagnosticsOf(body)).toEqual([
      `6:3 SG1201 @Timer 't' has no keyed context: add @CoProcess({ inputs: [...] }) or @KeyedProcess({ input }) to the class`,
    ]);
  });

  it('SG1301: a @KeyBy that reads something besides its parameter', () => {
    const body =
      `const prefix = 'x';\n` +
      coJob(handlers.replace('(c: Click) => c.user', '(c: Click) => prefix + c.user'));
    expect(diagnosticsOf(body)).toEqual([
      `14:24 SG1301 @KeyBy must be a pure arrow function or a field path: it refers to 'prefix', which is not its parameter; a selector may only read the element`,
    ]);
  });

  it('SG1301: a @KeyBy with a block body, and a bad field path', () => {
    const bad = handlers
      .replace('(c: Click) => c.user', '(c: Click) => { return c.user; }')
      .replace(`@KeyBy('user')`, `@KeyBy('user-id')`);
    expect(diagnosticsOf(coJob(bad))).toEqual([
      `10:10 SG1301 @KeyBy must be a pure arrow function or a field path: "user-id" is not a field path (use names separated by dots, like 'user.id')`,
      `13:24 SG1301 @KeyBy must be a pure arrow function or a field path: the arrow function must have an expression body, not a block`,
    ]);
  });

  it('SG1302 and SG1303: keyed inputs need a key and an event time', () => {
    const body = coJob(handlers.replace(`  @KeyBy('user')\n`, '')).replace(
      `@Source('b', { eventTime: 'ts' })`,
      `@Source('b')`,
    );
    expect(diagnosticsOf(body)).toEqual([
      `4:9 SG1303 source "b" feeds a keyed operator but has no eventTime; add eventTime: (e) => e.ts to @Source('b')`,
      `9:3 SG1302 handler 'onA' of keyed input "a" needs @KeyBy(...) to say what its key is`,
    ]);
  });

  it('SG1401: state whose type cannot be stored as JSON', () => {
    const members =
      handlers +
      `  @State() cache!: ValueState<Map<string, number>>;\n  @State() fns!: ListState<() => void>;`;
    const found = diagnosticsOf(coJob(members));
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^15:20 SG1401 state 'cache' cannot be stored as JSON /);
    expect(found[1]).toMatch(/^16:18 SG1401 state 'fns' cannot be stored as JSON /);
  });

  it('SG1402: a @State property that is not a state type', () => {
    expect(diagnosticsOf(coJob(handlers + `  @State() count!: number;`))).toEqual([
      `15:20 SG1402 @State property 'count' must be typed ValueState<T>, ListState<T> or MapState<V>, not 'number'`,
    ]);
  });

  it('SG1501 and SG1502: duplicate source and sink names', () => {
    const body = coJob(handlers).replace(
      `@Sink('out')`,
      `@Sink('out')\n@Sink('out')\n@Source('a')`,
    );
    expect(diagnosticsOf(body)).toEqual([
      `6:7 SG1502 sink "out" is declared twice in job J`,
      `7:9 SG1501 source "a" is declared twice in job J`,
    ]);
  });

  it('SG1601 and SG1602: unknown source and sink names', () => {
    const body = coJob(
      handlers.replace(`@ProcessElement('b')`, `@ProcessElement('c')`),
      `@CoProcess({ inputs: ['a', 'b'], output: 'nowhere' })`,
    );
    expect(diagnosticsOf(body)).toEqual([
      `6:28 SG1101 @CoProcess input "b" has no handler: add a method with @ProcessElement('b')`,
      `6:42 SG1602 operator output refers to unknown sink "nowhere" (declared sinks: "out"); add @Sink('nowhere')`,
      `12:3 SG1601 @ProcessElement('c') refers to unknown source "c" (sources: "a", "b")`,
    ]);
  });

  it('SG1001: a decorator argument that needs running code', () => {
    const body =
      `function topic() { return 'x'; }\n` +
      coJob(handlers).replace(`@Sink('out')`, `@Sink('out', { topic: topic() })`);
    expect(diagnosticsOf(body)).toEqual([
      `6:23 SG1001 @Sink('out') options: 'topic()' is not a static value; use literals or a const declared with one`,
    ]);
  });

  it('SG1002: an invalid decorator option', () => {
    const body = coJob(handlers).replace(
      `@Source('a', { eventTime: 'ts' })`,
      `@Source('a', { eventTime: 'ts', maxOutOfOrderness: '10 seconds' })`,
    );
    expect(diagnosticsOf(body)).toEqual([
      `3:52 SG1002 @Source('a') maxOutOfOrderness: "10 seconds" is not a duration: use milliseconds or a string like '10s', '5m', '1h'`,
    ]);
  });

  it('SG1103: a handler in a class without an operator', () => {
    const body = `
@StreamJob()
@Source('a', { eventTime: 'ts' })
@Sink('out')
export class J {
  @ProcessElement('a')
  onA(c: Click) {}
}
`;
    expect(diagnosticsOf(body)).toEqual([
      `6:3 SG1103 @ProcessElement 'onA' has no operator to belong to: add @CoProcess({ inputs: [...] }) or @KeyedProcess({ input }) to the class`,
    ]);
  });

  it('SG1202: two timers of the same domain', () => {
    const members = handlers + `  @Timer() t1(ts: number) {}\n  @Timer('event') t2(ts: number) {}`;
    expect(diagnosticsOf(coJob(members))).toEqual([
      `16:3 SG1202 a second @Timer('event') handler; one per time domain (see 't1')`,
    ]);
  });

  it('SG1401: exact text for a Map in state', () => {
    expect(
      diagnosticsOf(coJob(handlers + `  @State() cache!: ValueState<Map<string, number>>;`)),
    ).toEqual([
      `15:20 SG1401 state 'cache' cannot be stored as JSON (cache: Map is not representable in JSON); use plain objects, arrays and primitives, e.g. MapState<V> or ValueState<Record<string, V>> for a map`,
    ]);
  });

  it('SG1402: a MapState written with a key type', () => {
    expect(
      diagnosticsOf(coJob(handlers + `  @State() counts!: MapState<string, number>;`)),
    ).toEqual([`15:21 SG1402 MapState<V> has string keys: write MapState<number>`]);
  });

  it('SG1403: the same state name twice', () => {
    const members =
      handlers +
      `  @State() a!: ValueState<number>;\n  @State({ name: 'a' }) b!: ValueState<number>;`;
    expect(diagnosticsOf(coJob(members))).toEqual([`16:25 SG1403 state name "a" is used twice`]);
  });

  it('SG1404: a publish prefix that cannot start Redis keys, one prefix for two states, a published state with a ttl', () => {
    const members =
      handlers +
      `  @State({ publish: { prefix: 'a b' } }) a!: ValueState<number>;\n` +
      `  @State({ publish: { prefix: 'J.seen' } }) b!: ValueState<number>;\n` +
      `  @State({ publish: {} }) seen!: ValueState<number>;\n` +
      `  @State({ publish: {}, ttl: '1h' }) c!: ValueState<number>;`;
    expect(diagnosticsOf(coJob(members))).toEqual([
      `15:21 SG1404 publish prefix "a b" must not hold whitespace or braces (it starts Redis keys)`,
      `17:21 SG1404 state J.seen is published under prefix "J.seen", as J.b is: give one of them a prefix of its own`,
      `18:30 SG1404 state 'c' is published, so it cannot have a ttl (an expired entry would stay in the cache): give publish a ttl instead`,
    ]);
  });

  it("SG1002: lateElements is 'sideOutput' or 'process'", () => {
    const job = coJob(handlers).replace(
      "inputs: ['a', 'b']",
      "inputs: ['a', 'b'], lateElements: 'keep'",
    );
    expect(job).toContain('lateElements');
    expect(diagnosticsOf(job)).toEqual([
      expect.stringMatching(/SG1002 lateElements must be 'sideOutput' or 'process', not "keep"/),
    ]);
  });

  it('SG1701: two jobs with one name', () => {
    const second = coJob(handlers).replace('export class J', 'export class K');
    expect(diagnosticsOf(coJob(handlers) + second)).toEqual([
      `${coJob(handlers).split('\n').length + 6}:14 SG1701 job name "J" is already used by class J`,
    ]);
  });

  it('SG1801: an element type that cannot be validated', () => {
    const body =
      `export interface Timed { user: string; at: Date; ts: number }\n` +
      coJob(handlers.replace('onA(c: Click,', 'onA(c: Timed,'));
    expect(diagnosticsOf(body)).toEqual([
      `12:10 SG1801 element type 'Timed' of source "a" cannot be validated: Timed.at: Date is not representable in JSON`,
    ]);
  });

  it('SG1901: onError values the runtime cannot follow, each pointed at', () => {
    const job = (onError: string) =>
      coJob(handlers).replace(
        `@StreamJob({ name: 'J' })`,
        `@StreamJob({ name: 'J', deadLetters: 'out', onError: ${onError} })`,
      );
    expect(diagnosticsOf(job(`{ retries: -1, then: 'ignore', backoff: 5 }`))).toEqual([
      `2:65 SG1901 @StreamJob onError.retries must be a whole number >= 0, got -1`,
      `2:75 SG1901 @StreamJob onError.then must be 'dead-letter' or 'fail', got "ignore"`,
      `2:85 SG1901 @StreamJob onError has no option "backoff"; it takes retries and then`,
    ]);
    expect(diagnosticsOf(job(`'fail'`))).toEqual([
      `2:54 SG1901 @StreamJob onError must be an object like { retries: 2, then: 'dead-letter' }`,
    ]);
    expect(diagnosticsOf(job(`{ retries: 2, then: 'fail' }`))).toEqual([]);
  });

  it('SG1901: onError retries in an @AsyncEnrich job; dead letters without a deadLetters sink', () => {
    const body = `import { AsyncEnrich } from '@stream-gen/annotations';
@StreamJob({ name: 'E', onError: { retries: 1 } })
@Source('a')
@Sink('out')
export class E {
  @AsyncEnrich({ source: 'a', output: 'out', concurrency: 2 })
  async enrich(c: Click): Promise<Click> { return c; }
}
`;
    expect(diagnosticsOf(body)).toEqual([
      `2:34 SG1901 onError.retries does not apply to an @AsyncEnrich job: set retries in @AsyncEnrich({ retries }) instead`,
      `2:34 SG1901 onError sends records that still fail to the dead letters, but @StreamJob declares no deadLetters sink: add deadLetters: '<sink>', or then: 'fail'`,
    ]);
  });

  it('SG1002: a maxRecordBytes that is not a byte count; maxFuture without eventTime', () => {
    const body = coJob(handlers)
      .replace(
        `@Source('a', { eventTime: 'ts' })`,
        `@Source('a', { eventTime: 'ts', maxRecordBytes: 0.5 })`,
      )
      .replace(`@Sink('out')`, `@Sink('out')\n@Source('c', { maxFuture: '1d' })`);
    expect(diagnosticsOf(body)).toEqual([
      `3:49 SG1002 @Source('a') maxRecordBytes must be a whole number of bytes >= 1, got 0.5`,
      `6:9 SG1103 source "c" is not an input of @CoProcess; read it or remove it`,
      `6:27 SG1002 @Source('c') maxFuture only applies to a source with an eventTime`,
    ]);
  });

  it('SG1103: a source no handler reads; SG1002: names the runtime would refuse', () => {
    const body = coJob(handlers + `  @State({ name: 'my state' }) s!: ValueState<number>;`)
      .replace(`@StreamJob({ name: 'J' })`, `@StreamJob({ name: 'My Job' })`)
      .replace(`@Sink('out')`, `@Sink('out')\n@Source('extra')`);
    expect(diagnosticsOf(body)).toEqual(
      [
        `6:9 SG1103 source "extra" is not an input of @CoProcess; read it or remove it`,
        `16:32 SG1002 state name "my state" is not valid: use letters, digits, '_', '.' or '-', starting with a letter or '_'`,
        `8:14 SG1002 job name "My Job" is not valid: use letters, digits, '_' or '-', starting with a letter or '_'`,
      ].sort((a, b) => parseInt(a) - parseInt(b)),
    );
  });

  it('SG1301: a selector that is not deterministic', () => {
    expect(
      diagnosticsOf(
        coJob(handlers.replace('(c: Click) => c.user', '(c: Click) => c.user + Math.random()')),
      ),
    ).toEqual([
      `13:33 SG1301 @KeyBy must be a pure arrow function or a field path: 'Math.random' gives a different answer each call`,
    ]);
  });

  it('reports every problem at once and prints path:line:col with a code frame', () => {
    const body = coJob(
      handlers.replace(`@KeyBy('user')`, `@KeyBy('a b')`),
      `@CoProcess({ inputs: ['a', 'b'], output: 'x' })`,
    );
    const result = analyzeSource(body);
    expect(result.diagnostics.map((d) => d.code).sort()).toEqual(['SG1301', 'SG1602']);
    const keyBy = result.diagnostics.find((d) => d.code === 'SG1301');
    const line = formatDiagnosticLine(keyBy!, VIRTUAL_ROOT);
    expect(line).toBe(
      `src/job.ts:${10 + HEADER_LINES}:10 - error SG1301: @KeyBy must be a pure arrow function or a field path: "a b" is not a field path (use names separated by dots, like 'user.id')`,
    );
    const frame = formatDiagnostic(keyBy!, VIRTUAL_ROOT, () =>
      result.project.getSourceFileOrThrow('job.ts').getFullText(),
    );
    expect(frame.split('\n').slice(2)).toEqual([
      `  ${10 + HEADER_LINES} |   @KeyBy('a b')`,
      `     |          ~~~~~`,
    ]);
  });
});

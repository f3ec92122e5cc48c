import { formatDiagnostic } from '../src';
import { emitRunnerModule } from '../src/emit/runner-module.emitter';
import { emitValidators } from '../src/emit/validators.emitter';
import { analyzeSource, diagnosticsOf, HEADER_LINES, VIRTUAL_ROOT } from './virtual-project';

/** Element types of a card-fraud job, as a new user wrote them. */
const TYPES = `
export interface Transaction { id: string; card: string; amount: number; at: number }
export interface LegacyTransaction { id: string; card: string; amount: string; timestamp: number }
export type CardOnly = Pick<Transaction, 'card' | 'at'>;
`;

const fraudJob = (
  handlerType: string,
  sourceOptions = `{ eventTime: 'at' }`,
  extra = '',
) => `${TYPES}
@StreamJob({ name: 'Fraud' })
@Source<Transaction>('transactions', ${sourceOptions})
@Sink('alerts')
${extra}@KeyedProcess({ input: 'transactions', output: 'alerts' })
export class Fraud {
  @ProcessElement('transactions')
  @KeyBy('card')
  onTransaction(tx: ${handlerType}, ctx: ElementContext<Transaction>) {}
}
`;

describe('element types declared by @Source<T>', () => {
  it('SG1102: a handler whose parameter does not accept the declared type, at the parameter', () => {
    expect(diagnosticsOf(fraudJob('LegacyTransaction'))).toEqual([
      `13:21 SG1102 handler 'onTransaction' takes 'LegacyTransaction', but source "transactions" carries 'Transaction' (@Source<Transaction>): field 'amount' is number in 'Transaction' but string in 'LegacyTransaction'; 'Transaction' has no field 'timestamp'`,
    ]);
  });

  it('accepts a handler taking a type the declared one is assignable to', () => {
    expect(diagnosticsOf(fraudJob('CardOnly'))).toEqual([]);
  });

  it('derives the validator from the declared type, not from the handler parameter', () => {
    const result = analyzeSource(fraudJob('CardOnly'));
    const job = result.jobs[0];
    expect(job.graph.sources[0].elementType?.text).toBe('Transaction');
    const validators = emitValidators(job, `${VIRTUAL_ROOT}/src/generated/v.ts`, 'src/job.ts');
    expect(validators.names.get('transactions')).toBe('validateTransaction');
    expect(validators.file.text).toContain('$.amount');
    expect(validators.file.text).not.toContain('validateCardOnly');
  });

  it('SG1102: a declared type that is not an exported named type', () => {
    const body = fraudJob('Transaction').replace(
      '@Source<Transaction>',
      '@Source<{ id: string; at: number; card: string }>',
    );
    expect(diagnosticsOf(body)).toEqual([
      `7:9 SG1102 element type '{ id: string; at: number; card: string }' of @Source('transactions') must be the name of an exported interface or type alias, without type arguments`,
    ]);
  });
});

describe('selectors that name a field the type lacks', () => {
  it('SG1304: an event-time field that does not exist, with the near name', () => {
    expect(diagnosticsOf(fraudJob('Transaction', `{ eventTime: 'att' }`))).toEqual([
      `7:51 SG1304 eventTime of source "transactions": 'Transaction' has no field 'att'; did you mean 'at'?`,
    ]);
  });

  it('SG1304: a key field that does not exist; no "did you mean" when nothing is near', () => {
    expect(
      diagnosticsOf(fraudJob('Transaction').replace(`@KeyBy('card')`, `@KeyBy('cards')`)),
    ).toEqual([
      `12:10 SG1304 @KeyBy of 'onTransaction': 'Transaction' has no field 'cards'; did you mean 'card'?`,
    ]);
    expect(
      diagnosticsOf(fraudJob('Transaction').replace(`@KeyBy('card')`, `@KeyBy('merchant')`)),
    ).toEqual([`12:10 SG1304 @KeyBy of 'onTransaction': 'Transaction' has no field 'merchant'`]);
  });
});

describe('operators and outputs', () => {
  it('SG1104: a second operator decorator on one class', () => {
    const extra = `@CoProcess({ inputs: ['transactions', 'other'], output: 'alerts' })\n`;
    expect(diagnosticsOf(fraudJob('Transaction', undefined, extra))).toEqual([
      `9:39 SG1601 @CoProcess input "other" is not a declared source (sources: "transactions")`,
      `10:1 SG1104 a class is one operator: @KeyedProcess is a second operator decorator on Fraud, after @CoProcess on line ${9 + HEADER_LINES}; remove one`,
    ]);
  });

  it('SG1602: an unknown sink name suggests the near one, underlined at the value', () => {
    const body = fraudJob('Transaction').replace(`output: 'alerts'`, `output: 'alert'`);
    const result = analyzeSource(body);
    expect(diagnosticsOf(body)).toEqual([
      `9:48 SG1602 operator output refers to unknown sink "alert" (declared sinks: "alerts"); did you mean "alerts"?`,
    ]);
    const frame = formatDiagnostic(result.diagnostics[0], VIRTUAL_ROOT, () =>
      result.project.getSourceFileOrThrow('job.ts').getFullText(),
    );
    expect(frame.split('\n').slice(2)).toEqual([
      `  ${9 + HEADER_LINES} | @KeyedProcess({ input: 'transactions', output: 'alert' })`,
      `     |                                                ~~~~~~~`,
    ]);
  });

  const stateless = (decorators: string) => `${TYPES}
@StreamJob(${decorators})
@Source<Transaction>('transactions')
@Sink('alerts')
@Sink('audit')
@Sink('dead-letters')
export class Copy {}
`;

  it('SG1105: a job without an operator and no sink for its elements', () => {
    expect(diagnosticsOf(stateless(`{ deadLetters: 'dead-letters' }`))).toEqual([
      `11:14 SG1105 job Copy has no operator, so every element of its sources goes to its main output, which has no sink: name one with @StreamJob({ output: '<sink>' }) (sinks: "alerts", "audit")`,
    ]);
  });

  it('a job without an operator writes to @StreamJob output, or to its only sink', () => {
    const named = analyzeSource(stateless(`{ deadLetters: 'dead-letters', output: 'audit' }`));
    expect(named.diagnostics).toEqual([]);
    expect(named.jobs[0].graph.output).toBe('audit');
    const only = analyzeSource(
      stateless(`{ deadLetters: 'dead-letters' }`).replace(`@Sink('audit')\n`, ''),
    );
    expect(only.diagnostics).toEqual([]);
    const runner = emitRunnerModule({
      graph: only.jobs[0].graph,
      path: `${VIRTUAL_ROOT}/src/generated/copy.runner.generated.ts`,
      validatorsPath: `${VIRTUAL_ROOT}/src/generated/copy.validators.generated.ts`,
      validators: new Map(),
      providers: [],
      sourceLabel: 'src/job.ts',
    });
    expect(runner.text).toContain(`main: 'alerts'`);
  });

  it('SG1602 and SG1002: @StreamJob output unknown, or set on a job with an operator', () => {
    expect(diagnosticsOf(stateless(`{ output: 'audits' }`))).toEqual([
      `6:22 SG1602 @StreamJob output refers to unknown sink "audits" (declared sinks: "alerts", "audit", "dead-letters"); did you mean "audit"?`,
    ]);
    const body = fraudJob('Transaction').replace(
      `@StreamJob({ name: 'Fraud' })`,
      `@StreamJob({ name: 'Fraud', output: 'alerts' })`,
    );
    expect(diagnosticsOf(body)).toEqual([
      `6:37 SG1002 @StreamJob output is for a job without an operator or with keyed stages; set output in @KeyedProcess instead`,
    ]);
  });
});

describe('found in review', () => {
  it('a declared type is used without a handler: a stateless job checks its event time', () => {
    const body = `${TYPES}
@StreamJob({ name: 'Copy' })
@Source<Transaction>('transactions', { eventTime: 'att' })
@Sink('alerts')
export class Copy {}
`;
    expect(diagnosticsOf(body)).toEqual([
      `7:51 SG1304 eventTime of source "transactions": 'Transaction' has no field 'att'; did you mean 'at'?`,
    ]);
    expect(
      analyzeSource(body.replace(`'att'`, `'at'`)).jobs[0].graph.sources[0].elementType?.text,
    ).toBe('Transaction');
  });

  it('a key is checked against the declared type, which the generated selector reads', () => {
    expect(diagnosticsOf(fraudJob('CardOnly').replace(`@KeyBy('card')`, `@KeyBy('id')`))).toEqual(
      [],
    );
  });

  it('output on a job with an operator is refused when the options are a const too', () => {
    const body =
      `const OPTIONS = { name: 'Fraud', output: 'alerts' } as const;\n${fraudJob('Transaction')}`.replace(
        `@StreamJob({ name: 'Fraud' })`,
        '@StreamJob(OPTIONS)',
      );
    expect(diagnosticsOf(body)).toEqual([
      `11:14 SG1002 @StreamJob output is for a job without an operator or with keyed stages; set output in @KeyedProcess instead`,
    ]);
  });

  it('primitive and union types get the plain "not assignable" reason', () => {
    const body = fraudJob('Transaction')
      .replace('@Source<Transaction>', '@Source<number>')
      .replace(`{ eventTime: 'at' }`, '{}')
      .replace(`@KeyBy('card')`, '@KeyBy((n: string) => n)')
      .replace('tx: Transaction', 'tx: string');
    expect(diagnosticsOf(body)).toContain(
      `13:21 SG1102 handler 'onTransaction' takes 'string', but source "transactions" carries 'number' (@Source<number>): 'number' is not assignable to 'string'`,
    );
  });

  it('@AsyncEnrich options and quoted side-output tags are underlined at their values', () => {
    const body = `import { AsyncEnrich } from '@stream-gen/annotations';
@StreamJob({ name: 'E' })
@Source('a')
@Sink('out')
export class E {
  @AsyncEnrich({ source: 'a', output: 'out', concurrency: 2, timeout: '5 sec', rateLimit: { perSecond: -1 } })
  async enrich(c: Click): Promise<Click> { return c; }
}
`;
    expect(diagnosticsOf(body)).toEqual([
      `6:71 SG1002 @AsyncEnrich timeout: "5 sec" is not a duration: use milliseconds or a string like '10s', '5m', '1h'`,
      `6:104 SG1002 @AsyncEnrich rateLimit.perSecond must be a number > 0`,
    ]);
    const tagged = fraudJob('Transaction').replace(
      `output: 'alerts' })`,
      `output: 'alerts', sideOutputs: { 'late.v2': 'lat' } })`,
    );
    expect(diagnosticsOf(tagged)).toEqual([
      `9:84 SG1602 side output "late.v2" refers to unknown sink "lat" (declared sinks: "alerts"); add @Sink('lat')`,
    ]);
  });

  it('an element type JSON cannot hold is reported once, at the declared type', () => {
    const body =
      `export interface Timed { card: string; at: number; when: Date }\n${fraudJob('Timed')}`.replace(
        '@Source<Transaction>',
        '@Source<Timed>',
      );
    expect(diagnosticsOf(body).filter((d) => d.includes('SG1801'))).toEqual([
      `8:9 SG1801 element type 'Timed' of source "transactions" cannot be validated: Timed.when: Date is not representable in JSON`,
    ]);
  });

  it('no SG1105 next to a handler without an operator; output and deadLetters must differ', () => {
    const stray = `
@StreamJob()
@Source('a', { eventTime: 'ts' })
export class J {
  @ProcessElement('a')
  onA(c: Click) {}
}
`;
    expect(diagnosticsOf(stray).map((d) => d.split(' ')[1])).toEqual(['SG1103']);
    const same = `
@StreamJob({ output: 'out', deadLetters: 'out' })
@Source('a')
@Sink('out')
export class K {}
`;
    expect(diagnosticsOf(same)).toEqual([
      `2:22 SG1002 @StreamJob output and deadLetters are both "out": good records and dead letters would mix in one sink`,
    ]);
  });
});

describe('selector typos', () => {
  it('SG1304: a field an arrow selector reads that the type lacks, and a nested path', () => {
    expect(
      diagnosticsOf(
        fraudJob('Transaction').replace(`@KeyBy('card')`, `@KeyBy((t: Transaction) => t.crd)`),
      ),
    ).toEqual([
      `12:10 SG1304 @KeyBy of 'onTransaction': 'Transaction' has no field 'crd'; did you mean 'card'?`,
    ]);
    const nested =
      `export interface Meta { tsMs: number }\nexport interface Ev { id: string; meta: Meta }\n${fraudJob('Ev')}`
        .replace('@Source<Transaction>', '@Source<Ev>')
        .replace(`{ eventTime: 'at' }`, `{ eventTime: 'meta.tsms' }`)
        .replace(`@KeyBy('card')`, `@KeyBy('id')`);
    expect(diagnosticsOf(nested)).toEqual([
      `9:42 SG1304 eventTime of source "transactions": 'Meta' has no field 'tsms' (path 'meta.tsms'); did you mean 'meta.tsMs'?`,
    ]);
  });
});

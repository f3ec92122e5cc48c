/**
 * The generated files compile: each is type-checked, in memory at the path generate()
 * reports, together with the sources of its project, and the program must have zero
 * pre-emit diagnostics. Checked for the golden fixture, for samples/impression-join
 * (whose committed generated files must also not drift), and for small projects that
 * generate() accepts without a diagnostic: it promises to either report an SG
 * diagnostic or emit code that compiles, never code that breaks the user's build.
 *
 * The small projects are written to a temporary folder inside packages/codegen/test/.tmp
 * (gitignored; inside the repository so that @nestjs/* and reflect-metadata resolve from
 * its node_modules), removed after the tests.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { checkGenerated, generate, type GenerationResult } from '../src';
import {
  FIXTURE,
  format,
  generateOrFail,
  REPO,
  TMP,
  typeCheck,
  writeProject,
} from './generated-project';

const SAMPLE = join(REPO, 'samples/impression-join');

describe('generated files of the golden fixture', () => {
  it('compile with zero diagnostics, next to the fixture sources', () => {
    const result = generateOrFail(FIXTURE);
    expect(result.files).toHaveLength(6);
    const project = typeCheck(join(FIXTURE, 'tsconfig.json'), [FIXTURE], result.files);
    for (const file of result.files) expect(project.getSourceFile(file.path)).toBeDefined();
    expect(format(project, project.getPreEmitDiagnostics())).toBe('');
  });
});

describe('generated files of samples/impression-join', () => {
  let result: GenerationResult;

  beforeAll(() => {
    result = generateOrFail(SAMPLE);
  });

  it('are committed as generate() produces them (no drift)', () => {
    expect(result.files.map((f) => f.path)).toEqual([
      join(SAMPLE, 'src/generated/impression-join.validators.generated.ts'),
      join(SAMPLE, 'src/generated/impression-join.runner.generated.ts'),
      join(SAMPLE, 'src/generated/impression-join.main.generated.ts'),
    ]);
    expect(checkGenerated(result)).toEqual({ missing: [], stale: [], orphaned: [] });
  });

  it('compile with zero diagnostics, next to the sample sources', () => {
    const project = typeCheck(join(SAMPLE, 'tsconfig.json'), [SAMPLE], result.files);
    expect(format(project, project.getPreEmitDiagnostics())).toBe('');
  });
});

const IMPORTS = `import { KeyBy, KeyedProcess, ProcessElement, Sink, Source, State, StreamJob } from '@stream-gen/annotations';
import type { ElementContext, ValueState } from '@stream-gen/runtime';
`;

/** A one-input keyed job over `Order` (declared in model.ts) counting elements per key. */
function keyedJob(options: { name?: string; keyBy: string; element?: string; state?: string }) {
  const element = options.element ?? 'Order';
  return `${IMPORTS}import type { Envelope, Order } from './model';

@StreamJob(${options.name ? `{ name: '${options.name}' }` : ''})
@Source('orders', { eventTime: 'ts', maxOutOfOrderness: '1s' })
@Sink('counts')
@KeyedProcess({ input: 'orders', output: 'counts' })
export class ${options.name?.replace(/[^A-Za-z]/g, '') ?? 'OrderCounter'} {
  ${options.state ?? '@State() private count!: ValueState<number>;'}

  @ProcessElement('orders')
  @KeyBy(${options.keyBy})
  onOrder(order: ${element}, ctx: ElementContext<number>): void {
    void order;
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit(count);
  }
}
`;
}

const MODEL = `export interface Order {
  id: number;
  customerId: string;
  ts: number;
  customer?: { id: string };
}

export interface Envelope<T> {
  ts: number;
  customerId: string;
  body: T;
}
`;

/** Raw order lines, parsed by a chain stage, counted by a keyed operator (or written as they come). */
function chainedJob(withOperator: boolean) {
  const operator = withOperator
    ? `@KeyedProcess({ input: 'orders', output: 'counts' })
export class ChainedCounter {
  @State() private count!: ValueState<number>;

  @ProcessElement('orders')
  @KeyBy('customerId')
  onOrder(order: Order, ctx: ElementContext<number>): void {
    void order;
    this.count.update((this.count.value() ?? 0) + 1);
    ctx.emit(this.count.value() ?? 0);
  }
}`
    : `export class ChainedCopy {}`;
  return `${IMPORTS}import { Chain, FilterElement, FlatMapElement, MapElement } from '@stream-gen/annotations';
import type { Order } from './model';

export interface OrderLine { text: string }

@Chain({ id: 'parse', input: 'lines', output: 'orders' })
export class ParseOrders {
  @FlatMapElement()
  split(line: OrderLine): Order[] {
    return line.text.split(';').map((part) => JSON.parse(part) as Order);
  }

  @FilterElement()
  paid(order: Order): boolean {
    return order.id > 0;
  }

  @MapElement()
  normalize(order: Order): Order {
    return { ...order, customerId: order.customerId.toLowerCase() };
  }
}

@StreamJob({ name: '${withOperator ? 'ChainedCounter' : 'ChainedCopy'}', stages: [ParseOrders] })
@Source('lines', { eventTime: 'ts' })
@Sink('counts')
${operator}
`;
}

/**
 * Valid uses of the decorators (as their TypeScript types allow them) that generate()
 * accepts: each must either be reported as an SG diagnostic or give code that compiles.
 */
const CASES: ReadonlyArray<{ name: string; why: string; job: string; valid?: true }> = [
  {
    name: 'control: a string field path key',
    why: 'the harness itself: this one compiles',
    job: keyedJob({ keyBy: `'customerId'` }),
  },
  {
    name: 'a numeric key (field path)',
    why: '@KeyBy accepts string | number selectors; SourceSpec.key is typed to return string',
    job: keyedJob({ keyBy: `'id'` }),
  },
  {
    name: 'a numeric key (arrow)',
    why: 'the same, written as an arrow',
    job: keyedJob({ keyBy: `(o: Order) => o.id` }),
  },
  {
    name: 'a key path through an optional field',
    why: 'the copied selector reads e.customer.id where customer may be undefined',
    job: keyedJob({ keyBy: `'customer.id'` }),
  },
  {
    name: 'a key path to a field the element type does not have',
    why: 'a typo in a field path is not checked against the element type',
    job: keyedJob({ keyBy: `'customerID'` }),
  },
  {
    name: 'a readonly @State property',
    why: 'the generated open() assigns the state handle to the property',
    job: keyedJob({
      keyBy: `'customerId'`,
      state: '@State() private readonly count!: ValueState<number>;',
    }),
  },
  {
    name: 'a chain stage before a keyed operator',
    why: 'stage classes are imported, provided and created per task; event time and key read the chain output',
    job: chainedJob(true),
    valid: true,
  },
  {
    name: 'a chain stage in a job without an operator',
    why: 'the chain output is the main output, written to the only sink',
    job: chainedJob(false),
    valid: true,
  },
  {
    name: 'a chain stage after the operator',
    why: 'the operator writes a stream its stages read; the last stage names the sink',
    job: chainedJob(true)
      .replace(
        `output: 'counts' })\nexport class ChainedCounter`,
        `output: 'raw-counts' })\nexport class ChainedCounter`,
      )
      .replace('stages: [ParseOrders]', 'stages: [ParseOrders, Describe]')
      // a class in `stages` is read when the decorator runs: declared before the job
      .replace(
        '@StreamJob(',
        `@Chain({ id: 'describe', input: 'raw-counts', output: 'counts' })
export class Describe {
  @MapElement()
  text(count: number): string {
    return \`count \${count}\`;
  }
}

@StreamJob(`,
      ),
    valid: true,
  },
  {
    name: 'an @AsyncEnrich method that takes no abort signal',
    why: 'the generated adapter must not pass the signal to a method of one parameter',
    job: `import { AsyncEnrich, Sink, Source, StreamJob } from '@stream-gen/annotations';
import type { Order } from './model';

@StreamJob({ name: 'Lookup' })
@Source<Order>('orders')
@Sink('out')
export class Lookup {
  @AsyncEnrich({ source: 'orders', output: 'out', concurrency: 1 })
  async enrich(order: Order): Promise<string> {
    return order.customerId;
  }
}
`,
    valid: true,
  },
  {
    name: 'a generic element type',
    why: 'the element type text Envelope<Order> is used as an import name',
    job: keyedJob({ keyBy: `'customerId'`, element: 'Envelope<Order>' }),
  },
];

describe('generate() never emits code that does not compile', () => {
  let root: string;
  const outcomes = new Map<string, { result: GenerationResult; errors: string }>();

  beforeAll(() => {
    mkdirSync(TMP, { recursive: true });
    root = mkdtempSync(join(TMP, 'compile-'));
    const dirs = CASES.map((c, i) => {
      const dir = join(root, `case-${i}`);
      writeProject(dir, { 'model.ts': MODEL, 'order-counter.job.ts': c.job });
      return dir;
    });
    const results = dirs.map((dir) => generate(dir));
    // one program for all cases (type-checking the packages' sources once), diagnostics split by case
    const project = typeCheck(
      join(FIXTURE, 'tsconfig.json'),
      dirs,
      results.flatMap((r) => r.files),
    );
    const diagnostics = project.getPreEmitDiagnostics();
    CASES.forEach((c, i) => {
      const inCase = diagnostics.filter((d) => {
        const file = d.getSourceFile()?.getFilePath();
        return file === undefined || resolve(file).startsWith(dirs[i] + sep);
      });
      outcomes.set(c.name, { result: results[i], errors: format(project, inCase) });
    });
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [c.name, c.why]))('%s (%s)', (name) => {
    const outcome = outcomes.get(name);
    if (!outcome) throw new Error(`no outcome for ${name}`);
    const valid = CASES.find((c) => c.name === name)?.valid;
    if (valid) expect(outcome.result.diagnostics.map((d) => d.message)).toEqual([]);
    if (outcome.result.diagnostics.length > 0) return; // reported at the decorator: fine
    expect(outcome.result.files).toHaveLength(3);
    expect(outcome.errors).toBe('');
  });

  it('gives two jobs whose names differ only in case and dashes different files', () => {
    const dir = join(root, 'same-file-names');
    const job = (name: string) => keyedJob({ name, keyBy: `'customerId'` });
    writeProject(dir, {
      'model.ts': MODEL,
      'a.job.ts': job('OrderCounter'),
      'b.job.ts': job('order-counter'),
    });
    const result = generate(dir);
    if (result.diagnostics.length > 0) return; // reported: fine
    const paths = result.files.map((f) => f.path);
    // both jobs map to src/generated/order-counter.*.generated.ts: one would overwrite the other
    expect(paths.filter((p, i) => paths.indexOf(p) !== i)).toEqual([]);
  });
});

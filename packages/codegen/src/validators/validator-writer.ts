import { CodeBlockWriter } from 'ts-morph';
import type { ObjectShape, Shape, UnionShape } from './type-shape';

/** One exported validator to generate. */
export interface ValidatorSpec {
  readonly functionName: string;
  readonly shape: Shape;
}

/**
 * The source of a self-contained module (no imports) exporting, per spec,
 * `function <functionName>(value: unknown): string | undefined`, which returns undefined for
 * a valid value and otherwise the reason, e.g. `$.tags[2]: expected string, got null`.
 * Throws on a function name that is not an identifier or is used twice (a caller bug).
 */
export function writeValidators(specs: readonly ValidatorSpec[]): string {
  const writer = new CodeBlockWriter({
    indentNumberOfSpaces: 2,
    useSingleQuote: true,
    newLine: '\n',
  });
  writeValidatorsTo(writer, specs);
  return writer.toString();
}

/** As {@link writeValidators}, into an existing writer (the helpers it defines are module-level). */
export function writeValidatorsTo(writer: CodeBlockWriter, specs: readonly ValidatorSpec[]): void {
  const state = new ModuleState(writer, specs);
  specs.forEach((spec, i) => {
    if (i > 0) writer.blankLine();
    const what = describeShape(spec.shape).replace(/\*\//g, '*\\/');
    writer.writeLine(
      `/** Returns undefined when the value is a valid ${what}, else the reason it is not. */`,
    );
    writer
      .write(`export function ${spec.functionName}(value: unknown): string | undefined`)
      .block(() => {
        if (acceptsAnything(spec.shape)) writer.writeLine('void value; // any value is valid');
        new FunctionEmitter(state, new Map()).check(spec.shape, 'value', Path.root);
        writer.writeLine('return undefined;');
      });
    state.writePendingHelpers();
  });
  state.writeUtilities();
}

/** The runtime helpers the generated checks may call; only the used ones are written. */
const UTILITIES = {
  describeType: [
    '/** The JSON type of a value, for "got ..." in reasons. */',
    'function describeType(value: unknown): string {',
    "  if (value === null) return 'null';",
    "  if (Array.isArray(value)) return 'array';",
    '  return typeof value;',
    '}',
  ],
  describeValue: [
    '/** A scalar value as JSON (long strings shortened), else its JSON type. */',
    'function describeValue(value: unknown): string {',
    "  if (typeof value === 'string') {",
    "    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);",
    '  }',
    "  if (typeof value === 'number' || typeof value === 'boolean') return String(value);",
    '  return describeType(value);',
    '}',
  ],
  isRecord: [
    'function isRecord(value: unknown): value is Record<string, unknown> {',
    "  return typeof value === 'object' && value !== null && !Array.isArray(value);",
    '}',
  ],
  keyPath: [
    '/** The path step to an object key: `.name`, or `["odd key"]`. */',
    'function keyPath(key: string): string {',
    "  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? '.' + key : '[' + JSON.stringify(key) + ']';",
    '}',
  ],
} as const;

type Utility = keyof typeof UTILITIES;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A recursive binding in scope: the helper that checks it, and its body (to know its kind). */
interface Binding {
  readonly helper: string;
  readonly body: Shape;
}
type Scope = ReadonlyMap<string, Binding>;

/** State shared by all functions of one generated module: names, helpers to write, utilities. */
class ModuleState {
  private readonly names = new Set<string>(Object.keys(UTILITIES));
  private readonly helpersByKey = new Map<string, string>();
  private readonly pending: { name: string; shape: Shape; scope: Scope }[] = [];
  private readonly utilities = new Set<Utility>();

  constructor(
    readonly writer: CodeBlockWriter,
    specs: readonly ValidatorSpec[],
  ) {
    for (const { functionName } of specs) {
      if (!IDENTIFIER.test(functionName))
        throw new Error(`invalid validator name "${functionName}"`);
      if (this.names.has(functionName))
        throw new Error(`validator name "${functionName}" is taken`);
      this.names.add(functionName);
    }
  }

  use(utility: Utility): string {
    this.utilities.add(utility);
    if (utility === 'describeValue') this.utilities.add('describeType');
    return utility;
  }

  /**
   * The name of a private `(value, path) => reason` helper checking `shape` in `scope`,
   * queued for writing on first request; identical requests share one helper.
   */
  helper(shape: Shape, scope: Scope, label: string): string {
    const key = JSON.stringify([
      shape,
      [...scope].map(([name, binding]) => [name, binding.helper]),
    ]);
    const known = this.helpersByKey.get(key);
    if (known !== undefined) return known;
    const base = `check${label.replace(/[^A-Za-z0-9_$]/g, '').replace(/^./, (c) => c.toUpperCase())}`;
    let name = base;
    for (let n = 2; this.names.has(name); n++) name = `${base}${n}`;
    this.names.add(name);
    this.helpersByKey.set(key, name);
    const body = shape.kind === 'recursive' ? shape.shape : shape;
    const bodyScope =
      shape.kind === 'recursive'
        ? new Map([...scope, [shape.name, { helper: name, body }]])
        : scope;
    this.pending.push({ name, shape: body, scope: bodyScope });
    return name;
  }

  /** Writes queued helpers (which may queue more) after the function that asked for them. */
  writePendingHelpers(): void {
    for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
      const { name, shape, scope } = next;
      this.writer.blankLine();
      this.writer
        .write(`function ${name}(value: unknown, path: string): string | undefined`)
        .block(() => {
          new FunctionEmitter(this, scope).check(shape, 'value', Path.param);
          this.writer.writeLine('return undefined;');
        });
    }
  }

  writeUtilities(): void {
    for (const utility of Object.keys(UTILITIES) as Utility[]) {
      if (!this.utilities.has(utility)) continue;
      this.writer.blankLine();
      for (const line of UTILITIES[utility]) this.writer.writeLine(line);
    }
  }
}

/** A path being built: literal text known at generation time, and code evaluated at run time. */
type PathPart = { readonly text: string } | { readonly code: string };

class Path {
  static readonly root = new Path([{ text: '$' }]);
  static readonly param = new Path([{ code: 'path' }]);

  private constructor(readonly parts: readonly PathPart[]) {}

  field(name: string): Path {
    return this.plus({ text: IDENTIFIER.test(name) ? `.${name}` : `[${JSON.stringify(name)}]` });
  }

  index(code: string): Path {
    return new Path([...this.parts, { text: '[' }, { code }, { text: ']' }]);
  }

  fixedIndex(i: number): Path {
    return this.plus({ text: `[${i}]` });
  }

  key(code: string): Path {
    return this.plus({ code });
  }

  plus(part: PathPart): Path {
    return new Path([...this.parts, part]);
  }

  isStatic(): boolean {
    return this.parts.every((part) => 'text' in part);
  }
}

/** A string expression joining parts, adjacent literal texts merged: `'$.a[' + i1 + ']'`. */
function concat(parts: readonly PathPart[]): string {
  const merged: PathPart[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if ('text' in part && last !== undefined && 'text' in last) {
      merged[merged.length - 1] = { text: last.text + part.text };
    } else {
      merged.push(part);
    }
  }
  return merged.map((part) => ('text' in part ? quote(part.text) : part.code)).join(' + ');
}

function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

/** Writes straight-line checks for one function body; each failed check returns its reason. */
class FunctionEmitter {
  private readonly counters = new Map<string, number>();
  private readonly writer: CodeBlockWriter;

  constructor(
    private readonly module: ModuleState,
    private readonly scope: Scope,
  ) {
    this.writer = module.writer;
  }

  /**
   * Checks the value in variable `v` against `shape`. `known` says the value was already
   * tested to be an array or an object by the caller, so the test is not repeated.
   */
  check(
    shape: Shape,
    v: string,
    path: Path,
    known?: 'array' | 'object',
    checkedField?: string,
  ): void {
    switch (shape.kind) {
      case 'unknown':
        return;
      case 'string':
      case 'number':
      case 'boolean':
        return this.failIf(
          `typeof ${v} !== '${shape.kind}'`,
          path,
          `expected ${shape.kind}, got `,
          this.typeOf(v),
        );
      case 'null':
        return this.failIf(`${v} !== null`, path, 'expected null, got ', this.valueOf(v));
      case 'literal':
        return this.failIf(
          `${v} !== ${literal(shape.value)}`,
          path,
          `expected ${JSON.stringify(shape.value)}, got `,
          this.valueOf(v),
        );
      case 'array':
        if (known !== 'array')
          this.failIf(`!Array.isArray(${v})`, path, 'expected array, got ', this.typeOf(v));
        if (acceptsAnything(shape.element)) return;
        return this.loop(v, (element, i) => this.check(shape.element, element, path.index(i)));
      case 'tuple':
        if (known !== 'array')
          this.failIf(`!Array.isArray(${v})`, path, 'expected array, got ', this.typeOf(v));
        this.failIf(
          `${v}.length !== ${shape.elements.length}`,
          path,
          `expected ${shape.elements.length} elements, got `,
          `${v}.length`,
        );
        shape.elements.forEach((element, i) => {
          if (acceptsAnything(element)) return;
          const e = this.local('v');
          this.writer.writeLine(`const ${e}: unknown = ${v}[${i}];`);
          this.check(element, e, path.fixedIndex(i));
        });
        return;
      case 'object':
        return this.object(shape, v, path, known === 'object', checkedField);
      case 'union':
        return this.union(shape, v, path);
      case 'recursive':
        return this.callHelper(this.module.helper(shape, this.scope, shape.name), v, path);
      case 'ref':
        return this.callHelper(this.binding(shape.name).helper, v, path);
    }
  }

  /** `checkedField` is a discriminant the caller already matched. */
  private object(
    shape: ObjectShape,
    v: string,
    path: Path,
    known: boolean,
    checkedField?: string,
  ): void {
    if (!known)
      this.failIf(
        `!${this.module.use('isRecord')}(${v})`,
        path,
        'expected object, got ',
        this.typeOf(v),
      );
    for (const field of shape.fields) {
      if (field.name === checkedField || (field.optional && acceptsAnything(field.shape))) continue;
      const f = this.local('v');
      const fieldPath = path.field(field.name);
      this.writer.writeLine(`const ${f} = ${v}[${quote(field.name)}];`);
      if (field.optional) {
        this.writer
          .write(`if (${f} !== undefined)`)
          .block(() => this.check(field.shape, f, fieldPath));
      } else {
        this.failIf(`${f} === undefined`, fieldPath, 'required field is missing');
        this.check(field.shape, f, fieldPath);
      }
    }
    const indexValue = shape.indexValue;
    if (indexValue === undefined || acceptsAnything(indexValue)) return;
    const k = this.local('k');
    this.writer.write(`for (const ${k} of Object.keys(${v}))`).block(() => {
      const e = this.local('v');
      this.writer.writeLine(`const ${e} = ${v}[${k}];`);
      this.check(indexValue, e, path.key(`${this.module.use('keyPath')}(${k})`));
    });
  }

  /**
   * Scalars are tested first; a value that is none of them is dispatched on array/object,
   * and only ambiguous alternatives (same JSON type, no discriminant) are tried one by one.
   */
  private union(shape: UnionShape, v: string, path: Path): void {
    const options = flattenUnion(shape.options);
    if (options.some((option) => option.kind === 'unknown')) return;
    const kinds = options.map((option) => this.kindOf(option));
    const arrays = options.filter((_, i) => kinds[i] === 'array');
    const objects = options.filter((_, i) => kinds[i] === 'object');
    const scalars = options.filter((_, i) => kinds[i] === 'scalar');
    const expected = describeShape(shape);
    const fail = this.unionFailure(options, expected, v, path);
    if (kinds.includes('union')) return this.tryEach(options, v, path, expected);

    const notScalar = scalars.map((option) => scalarMismatch(option, v)).join(' && ');
    if (arrays.length === 0 && objects.length === 0) {
      this.writer.writeLine(`if (${notScalar}) return ${fail};`);
      return;
    }
    const isRecord = this.module.use('isRecord');
    const dispatch = () => {
      if (arrays.length > 0 && objects.length > 0) {
        this.writer.writeLine(`if (Array.isArray(${v})) {`);
        this.writer.indent(() => this.alternatives(arrays, v, path, 'array', expected));
        this.writer.writeLine(`} else if (${isRecord}(${v})) {`);
        this.writer.indent(() => this.alternatives(objects, v, path, 'object', expected));
        this.writer.writeLine('} else {');
        this.writer.indent(() => this.writer.writeLine(`return ${fail};`));
        this.writer.writeLine('}');
      } else if (arrays.length > 0) {
        this.writer.writeLine(`if (!Array.isArray(${v})) return ${fail};`);
        this.alternatives(arrays, v, path, 'array', expected);
      } else {
        this.writer.writeLine(`if (!${isRecord}(${v})) return ${fail};`);
        this.alternatives(objects, v, path, 'object', expected);
      }
    };
    if (scalars.length === 0) dispatch();
    else this.writer.write(`if (${notScalar})`).block(dispatch);
  }

  /** Options of one JSON type: checked inline if one, switched on a discriminant, or tried in turn. */
  private alternatives(
    options: readonly Shape[],
    v: string,
    path: Path,
    known: 'array' | 'object',
    expected: string,
  ): void {
    if (options.length === 1) return this.check(options[0], v, path, known);
    const objects = options.map((option) => this.resolve(option)) as ObjectShape[];
    const discriminant = known === 'object' ? findDiscriminant(objects) : undefined;
    if (discriminant === undefined) return this.tryEach(options, v, path, expected);

    const d = this.local('d');
    const fieldPath = path.field(discriminant);
    const values = objects.map((object) => discriminantValues(object, discriminant) ?? []);
    this.writer.writeLine(`const ${d} = ${v}[${quote(discriminant)}];`);
    this.failIf(`${d} === undefined`, fieldPath, 'required field is missing');
    options.forEach((option, i) => {
      const test = values[i].map((value) => `${d} === ${literal(value)}`).join(' || ');
      this.writer.writeLine(`${i === 0 ? 'if' : '} else if'} (${test}) {`);
      this.writer.indent(() => this.check(option, v, path, 'object', discriminant));
    });
    const choices = values
      .flat()
      .map((value) => JSON.stringify(value))
      .join(' | ');
    this.writer.writeLine('} else {');
    this.writer.indent(() =>
      this.writer.writeLine(
        `return ${this.reason(fieldPath, `expected one of ${choices}, got `, this.valueOf(d))};`,
      ),
    );
    this.writer.writeLine('}');
  }

  /** Runs each option's helper until one accepts; if none does, reports every option's reason. */
  private tryEach(options: readonly Shape[], v: string, path: Path, expected: string): void {
    const p = this.pathVariable(path);
    const labels = options.map(describeShape);
    const unique = new Set(labels).size === labels.length;
    const results: string[] = [];
    options.forEach((option) => {
      const helper =
        option.kind === 'ref'
          ? this.binding(option.name).helper
          : this.module.helper(option, this.scope, helperLabel(option));
      const r = this.local('r');
      const previous = results[results.length - 1];
      const call = `${helper}(${v}, ${p})`;
      this.writer.writeLine(
        `const ${r} = ${previous === undefined ? call : `${previous} === undefined ? undefined : ${call}`};`,
      );
      results.push(r);
    });
    const details: PathPart[] = [{ text: ` (` }];
    results.forEach((r, i) => {
      details.push(
        { text: `${i > 0 ? '; ' : ''}${unique ? labels[i] : `#${i + 1} ${labels[i]}`}: ` },
        { code: r },
      );
    });
    details.push({ text: ')' });
    const pathParts = path.isStatic() ? path.parts : [{ code: p }];
    const reason = concat([
      ...pathParts,
      { text: `: matches no option of ${expected}` },
      ...details,
    ]);
    this.writer.writeLine(`if (${results[results.length - 1]} !== undefined) return ${reason};`);
  }

  private unionFailure(options: readonly Shape[], expected: string, v: string, path: Path): string {
    const literals = options.some((option) => option.kind === 'literal');
    const onlyLiterals =
      literals && options.every((option) => option.kind === 'literal' || option.kind === 'null');
    return this.reason(
      path,
      `expected ${onlyLiterals ? 'one of ' : ''}${expected}, got `,
      literals ? this.valueOf(v) : this.typeOf(v),
    );
  }

  private callHelper(helper: string, v: string, path: Path): void {
    const r = this.local('r');
    this.writer.writeLine(`const ${r} = ${helper}(${v}, ${concat(path.parts)});`);
    this.writer.writeLine(`if (${r} !== undefined) return ${r};`);
  }

  private loop(v: string, body: (element: string, index: string) => void): void {
    const i = this.local('i');
    this.writer.write(`for (let ${i} = 0; ${i} < ${v}.length; ${i}++)`).block(() => {
      const e = this.local('v');
      this.writer.writeLine(`const ${e}: unknown = ${v}[${i}];`);
      body(e, i);
    });
  }

  /** A path used several times at run time is computed once. */
  private pathVariable(path: Path): string {
    if (path.isStatic() || (path.parts.length === 1 && 'code' in path.parts[0]))
      return concat(path.parts);
    const p = this.local('p');
    this.writer.writeLine(`const ${p} = ${concat(path.parts)};`);
    return p;
  }

  private failIf(condition: string, path: Path, message: string, got?: string): void {
    this.writer.writeLine(`if (${condition}) return ${this.reason(path, message, got)};`);
  }

  private reason(path: Path, message: string, got?: string): string {
    const parts: PathPart[] = [...path.parts, { text: `: ${message}` }];
    if (got !== undefined) parts.push({ code: got });
    return concat(parts);
  }

  private typeOf(v: string): string {
    return `${this.module.use('describeType')}(${v})`;
  }

  private valueOf(v: string): string {
    return `${this.module.use('describeValue')}(${v})`;
  }

  /** What a union option needs from the value: a scalar test, an array, an object, or anything. */
  private kindOf(shape: Shape): 'scalar' | 'array' | 'object' | 'union' {
    const resolved = this.resolve(shape);
    switch (resolved.kind) {
      case 'array':
      case 'tuple':
        return 'array';
      case 'object':
        return 'object';
      case 'union':
      case 'unknown':
      case 'recursive':
      case 'ref':
        return 'union';
      default:
        return 'scalar';
    }
  }

  /** The body behind recursive bindings and refs. */
  private resolve(shape: Shape): Shape {
    if (shape.kind === 'recursive') return shape.shape;
    if (shape.kind === 'ref') return this.binding(shape.name).body;
    return shape;
  }

  private binding(name: string): Binding {
    const binding = this.scope.get(name);
    if (binding === undefined)
      throw new Error(`shape refers to "${name}" outside its recursive binding`);
    return binding;
  }

  private local(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}${n}`;
  }
}

/** True when no check is needed: `unknown`, or a union with an `unknown` option. */
function acceptsAnything(shape: Shape): boolean {
  return (
    shape.kind === 'unknown' || (shape.kind === 'union' && shape.options.some(acceptsAnything))
  );
}

/** The part of a helper name after `check`. */
function helperLabel(shape: Shape): string {
  switch (shape.kind) {
    case 'object':
      return shape.name ?? 'Object';
    case 'recursive':
    case 'ref':
      return shape.name;
    default:
      return shape.kind;
  }
}

function flattenUnion(options: readonly Shape[]): Shape[] {
  return options.flatMap((option) =>
    option.kind === 'union' ? flattenUnion(option.options) : [option],
  );
}

/** A condition true when `v` does not match the scalar `shape`. */
function scalarMismatch(shape: Shape, v: string): string {
  switch (shape.kind) {
    case 'string':
    case 'number':
    case 'boolean':
      return `typeof ${v} !== '${shape.kind}'`;
    case 'null':
      return `${v} !== null`;
    case 'literal':
      return `${v} !== ${literal(shape.value)}`;
    default:
      throw new Error(`not a scalar shape: ${shape.kind}`);
  }
}

function literal(value: string | number | boolean): string {
  return typeof value === 'string' ? quote(value) : String(value);
}

/** A required field that is a literal (or union of literals) in every option, with no value shared. */
function findDiscriminant(objects: readonly ObjectShape[]): string | undefined {
  if (objects.some((object) => object.kind !== 'object')) return undefined;
  return objects[0].fields
    .map((field) => field.name)
    .find((name) => {
      const values = objects.map((object) => discriminantValues(object, name));
      if (values.some((v) => v === undefined)) return false;
      const all = values.flatMap((v) => v ?? []);
      return new Set(all).size === all.length;
    });
}

function discriminantValues(
  object: ObjectShape,
  name: string,
): (string | number | boolean)[] | undefined {
  const field = object.fields.find((f) => f.name === name);
  if (field === undefined || field.optional) return undefined;
  const options = field.shape.kind === 'union' ? flattenUnion(field.shape.options) : [field.shape];
  const values: (string | number | boolean)[] = [];
  for (const option of options) {
    if (option.kind !== 'literal') return undefined;
    values.push(option.value);
  }
  return values;
}

/** How a shape reads in a reason: `string`, `"tv"`, `number[]`, `Play`, `string | null`. */
export function describeShape(shape: Shape): string {
  switch (shape.kind) {
    case 'literal':
      return JSON.stringify(shape.value);
    case 'array': {
      const element = describeShape(shape.element);
      return shape.element.kind === 'union' ? `(${element})[]` : `${element}[]`;
    }
    case 'tuple':
      return `[${shape.elements.map(describeShape).join(', ')}]`;
    case 'object':
      if (shape.name !== undefined) return shape.name;
      return shape.fields.length === 0 && shape.indexValue !== undefined
        ? `Record<string, ${describeShape(shape.indexValue)}>`
        : 'object';
    case 'union': {
      const options = shape.options.map(describeShape);
      // `object | object` says nothing: the alias name says more
      return shape.name !== undefined && options.includes('object')
        ? shape.name
        : options.join(' | ');
    }
    case 'recursive':
    case 'ref':
      return shape.name;
    default:
      return shape.kind;
  }
}

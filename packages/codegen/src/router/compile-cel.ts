import type { ASTNode } from '@marcbachmann/cel-js';
import { RECORD, ROOT, type CelEnvironment } from './cel-environment';

/** A construct the compiler leaves to the interpreter. */
class NotCompiled extends Error {}

/** A JS identifier that needs no quoting as a property name. */
const PLAIN = /^[A-Za-z_$][\w$]*$/;

type Node = ASTNode & { readonly checkedType?: { readonly name: string; readonly kind: string } };

/**
 * Compiles a checked CEL expression over a record `r` to a JS expression with CEL's
 * meaning, calling the runtime's `celRuntime` as `$` where JS operators mean something
 * else. Undefined for what it does not compile (macros, conversions, `matches`, string
 * ordering, int arithmetic, optional syntax), which the generated code hands to the
 * interpreter instead: the same result, slower.
 *
 * Where CEL's `&&` and `||` differ from JS's is an error on one side that the other side
 * decides (`false && <error>` is false in both, but `<error> && false` is false only in
 * CEL): an expression with a part that can fail (an optional field, a map key, a list
 * index) under `&&`, `||` or `?:` is left to the interpreter.
 *
 * Each operator is compiled only for the operand types its JS form has CEL's meaning
 * for: a `dyn` operand (an `unknown` field, a union of kinds, a tuple's element) is
 * checked by the interpreter at run time, where JS would coerce (`!0`, `5 + "x"`,
 * `size(5)`), so an operation on one is left to the interpreter too.
 */
export function compileCel(cel: CelEnvironment, expression: string): string | undefined {
  const parsed = cel.env.parse(expression);
  if (!parsed.check().valid) return undefined;
  try {
    return new Compiler(cel.optional, cel.nullable, cel.declarations.record).compile(
      parsed.ast as Node,
    ).code;
  } catch (error) {
    if (error instanceof NotCompiled) return undefined;
    throw error;
  }
}

interface Compiled {
  readonly code: string;
  /** The code can throw a CEL error (an absent field or key, an index out of range). */
  readonly canFail: boolean;
}

class Compiler {
  constructor(
    private readonly optional: ReadonlyMap<string, ReadonlySet<string>>,
    private readonly nullable: ReadonlyMap<string, ReadonlySet<string>>,
    /** `record` names the whole record. */
    private readonly wholeRecord: boolean,
  ) {}

  compile(node: Node): Compiled {
    const args = node.args as never;
    switch (node.op) {
      case 'value':
        return { code: literal(node.args), canFail: false };
      case 'id':
        if (node.args === RECORD && this.wholeRecord) return { code: 'r', canFail: false };
        return this.field('r', ROOT, node.args as string);
      case '.': {
        const [target, name] = node.args as [Node, string];
        const object = this.compile(target);
        const type = typeOf(target);
        if (isMap(type)) {
          return { code: `$.key(${object.code}, ${JSON.stringify(name)})`, canFail: true };
        }
        // a field of a dyn value is an error in CEL unless it is an object that has it
        if (!this.isObject(type)) throw new NotCompiled();
        const access = this.field(object.code, type, name);
        return { code: access.code, canFail: object.canFail || access.canFail };
      }
      case '[]': {
        const [target, index] = node.args as [Node, Node];
        const object = this.compile(target);
        const key = this.compile(index);
        const type = typeOf(target);
        const helper = isList(type) ? 'index' : isMap(type) ? 'key' : undefined;
        if (!helper || (helper === 'index' && typeOf(index) !== 'int')) throw new NotCompiled();
        return { code: `$.${helper}(${object.code}, ${key.code})`, canFail: true };
      }
      case '&&':
      case '||': {
        // JS's && and || take any value and may give a non-boolean: CEL's want bools
        if (!(node.args as Node[]).every(isBool)) throw new NotCompiled();
        const [a, b] = this.operands(args);
        if (a.canFail || b.canFail) throw new NotCompiled();
        return { code: `(${a.code} ${node.op} ${b.code})`, canFail: false };
      }
      case '?:': {
        if (!isBool((node.args as Node[])[0])) throw new NotCompiled();
        const [c, a, b] = (node.args as Node[]).map((n) => this.compile(n));
        if (c.canFail) throw new NotCompiled();
        return { code: `(${c.code} ? ${a.code} : ${b.code})`, canFail: a.canFail || b.canFail };
      }
      case '!_': {
        if (!isBool(node.args as Node)) throw new NotCompiled();
        const a = this.compile(node.args as Node);
        return { code: `!${a.code}`, canFail: a.canFail };
      }
      case '-_': {
        const operand = node.args as Node;
        // a negative int literal is a number like any other; int arithmetic is not compiled
        const int = operand.op === 'value' && typeOf(operand) === 'int';
        if (typeOf(operand) !== 'double' && !int) throw new NotCompiled();
        const a = this.compile(operand);
        return { code: `(-${a.code})`, canFail: a.canFail };
      }
      case '==':
      case '!=':
        return this.equality(node);
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.ordering(node);
      case '+':
      case '-':
      case '*':
      case '/':
        return this.arithmetic(node);
      case 'in':
        return this.membership(node);
      case 'list': {
        const items = (node.args as Node[]).map((n) => this.compile(n));
        return {
          code: `[${items.map((i) => i.code).join(', ')}]`,
          canFail: items.some((i) => i.canFail),
        };
      }
      case 'call':
        return this.call(node);
      case 'rcall':
        return this.method(node);
      default:
        // '%' (int only), map literals, optional access ('.?', '[?]')
        throw new NotCompiled();
    }
  }

  /** An object type of the records (not a map, a list or dyn): its fields are known. */
  private isObject(type: string): boolean {
    return this.optional.has(type);
  }

  private operands(args: readonly [Node, Node]): [Compiled, Compiled] {
    return [this.compile(args[0]), this.compile(args[1])];
  }

  /** A field of an object type: direct when the type requires it, checked when optional. */
  private field(object: string, type: string, name: string): Compiled {
    if (this.optional.get(type)?.has(name)) {
      return { code: `$.field(${object}, ${JSON.stringify(name)})`, canFail: true };
    }
    return {
      code: PLAIN.test(name) ? `${object}.${name}` : `${object}[${JSON.stringify(name)}]`,
      canFail: false,
    };
  }

  private equality(node: Node): Compiled {
    const [left, right] = node.args as [Node, Node];
    const [a, b] = this.operands([left, right]);
    const canFail = a.canFail || b.canFail;
    const scalar = (n: Node) =>
      ['string', 'double', 'int', 'bool', 'null_type'].includes(typeOf(n));
    if (scalar(left) && scalar(right)) {
      return { code: `(${a.code} ${node.op === '==' ? '===' : '!=='} ${b.code})`, canFail };
    }
    const equal = `$.eq(${a.code}, ${b.code})`;
    return { code: node.op === '==' ? equal : `!${equal}`, canFail };
  }

  private ordering(node: Node): Compiled {
    const [left, right] = node.args as [Node, Node];
    const numeric = (n: Node) => ['double', 'int'].includes(typeOf(n));
    // strings order by code point in CEL, by UTF-16 unit in JS: left to the interpreter
    if (!numeric(left) || !numeric(right)) throw new NotCompiled();
    const [a, b] = this.operands([left, right]);
    return { code: `(${a.code} ${node.op} ${b.code})`, canFail: a.canFail || b.canFail };
  }

  private arithmetic(node: Node): Compiled {
    const [left, right] = node.args as [Node, Node];
    const type = typeOf(node);
    // the operands' types, not only the result's: `dyn + 1.0` is double, and JS's `+`
    // would concatenate a string operand where CEL has no such overload
    const both = (test: (t: string) => boolean) => test(typeOf(left)) && test(typeOf(right));
    const [a, b] = this.operands([left, right]);
    const canFail = a.canFail || b.canFail;
    if (type === 'double' && both((t) => t === 'double')) {
      return { code: `(${a.code} ${node.op} ${b.code})`, canFail };
    }
    if (type === 'string' && node.op === '+' && both((t) => t === 'string')) {
      return { code: `(${a.code} + ${b.code})`, canFail };
    }
    if (isList(type) && node.op === '+' && both(isList)) {
      return { code: `${a.code}.concat(${b.code})`, canFail };
    }
    // int arithmetic overflows with an error in CEL
    throw new NotCompiled();
  }

  private membership(node: Node): Compiled {
    const [item, container] = node.args as [Node, Node];
    const [a, b] = this.operands([item, container]);
    const canFail = a.canFail || b.canFail;
    const type = typeOf(container);
    if (isList(type)) return { code: `$.inList(${a.code}, ${b.code})`, canFail };
    if (isMap(type)) return { code: `Object.hasOwn(${b.code}, ${a.code})`, canFail };
    throw new NotCompiled();
  }

  private call(node: Node): Compiled {
    const [name, callArgs] = node.args as [string, Node[]];
    // `$.size` counts whatever it is given: CEL has no size of a number or a bool
    const sized = (t: string) => t === 'string' || isList(t) || isMap(t);
    if (name === 'size' && callArgs.length === 1 && sized(typeOf(callArgs[0]))) {
      const a = this.compile(callArgs[0]);
      return { code: `$.size(${a.code})`, canFail: a.canFail };
    }
    if (name === 'has' && callArgs.length === 1 && callArgs[0].op === '.') {
      const [target, field] = callArgs[0].args as [Node, string];
      const type = typeOf(target);
      if (!isMap(type) && !this.isObject(type)) throw new NotCompiled();
      // a field that may hold null: what has() says of a null is the interpreter's to say
      if (this.nullable.get(type)?.has(field)) throw new NotCompiled();
      const object = this.compile(target);
      return {
        code: `Object.hasOwn(${object.code}, ${JSON.stringify(field)})`,
        canFail: object.canFail,
      };
    }
    throw new NotCompiled();
  }

  private method(node: Node): Compiled {
    const [name, target, callArgs] = node.args as [string, Node, Node[]];
    const methods: Record<string, string> = {
      startsWith: 'startsWith',
      endsWith: 'endsWith',
      contains: 'includes',
    };
    const strings = [target, ...callArgs].every((n) => typeOf(n) === 'string');
    if (!methods[name] || !strings || callArgs.length !== 1) throw new NotCompiled();
    const object = this.compile(target);
    const arg = this.compile(callArgs[0]);
    return {
      code: `${object.code}.${methods[name]}(${arg.code})`,
      canFail: object.canFail || arg.canFail,
    };
  }
}

function typeOf(node: Node): string {
  return node.checkedType?.name ?? 'dyn';
}

const isList = (type: string) => type.startsWith('list<');
const isMap = (type: string) => type.startsWith('map<');
const isBool = (node: Node) => typeOf(node) === 'bool';

function literal(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new NotCompiled();
    }
    return String(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotCompiled();
    return String(value);
  }
  if (typeof value === 'boolean' || value === null) return String(value);
  // bytes, uint
  throw new NotCompiled();
}

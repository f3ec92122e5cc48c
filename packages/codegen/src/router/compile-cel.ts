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
 */
export function compileCel(cel: CelEnvironment, expression: string): string | undefined {
  const parsed = cel.env.parse(expression);
  if (!parsed.check().valid) return undefined;
  try {
    return new Compiler(cel.optional, cel.declarations.record).compile(parsed.ast as Node).code;
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
        if (type.startsWith('map<')) {
          return { code: `$.key(${object.code}, ${JSON.stringify(name)})`, canFail: true };
        }
        const access = this.field(object.code, type, name);
        return { code: access.code, canFail: object.canFail || access.canFail };
      }
      case '[]': {
        const [target, index] = node.args as [Node, Node];
        const object = this.compile(target);
        const key = this.compile(index);
        const type = typeOf(target);
        const helper = type.startsWith('list<')
          ? 'index'
          : type.startsWith('map<')
            ? 'key'
            : undefined;
        if (!helper || (helper === 'index' && typeOf(index) !== 'int')) throw new NotCompiled();
        return { code: `$.${helper}(${object.code}, ${key.code})`, canFail: true };
      }
      case '&&':
      case '||': {
        const [a, b] = this.operands(args);
        if (a.canFail || b.canFail) throw new NotCompiled();
        return { code: `(${a.code} ${node.op} ${b.code})`, canFail: false };
      }
      case '?:': {
        const [c, a, b] = (node.args as Node[]).map((n) => this.compile(n));
        if (c.canFail) throw new NotCompiled();
        return { code: `(${c.code} ? ${a.code} : ${b.code})`, canFail: a.canFail || b.canFail };
      }
      case '!_': {
        const a = this.compile(node.args as Node);
        return { code: `!${a.code}`, canFail: a.canFail };
      }
      case '-_': {
        const operand = node.args as Node;
        // a negative int literal is a number like any other; int arithmetic is not compiled
        if (typeOf(node) !== 'double' && operand.op !== 'value') throw new NotCompiled();
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
    const [a, b] = this.operands([left, right]);
    const canFail = a.canFail || b.canFail;
    if (type === 'double') return { code: `(${a.code} ${node.op} ${b.code})`, canFail };
    if (type === 'string' && node.op === '+') return { code: `(${a.code} + ${b.code})`, canFail };
    if (type.startsWith('list<') && node.op === '+') {
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
    if (type.startsWith('list<')) return { code: `$.inList(${a.code}, ${b.code})`, canFail };
    if (type.startsWith('map<')) return { code: `Object.hasOwn(${b.code}, ${a.code})`, canFail };
    throw new NotCompiled();
  }

  private call(node: Node): Compiled {
    const [name, callArgs] = node.args as [string, Node[]];
    if (name === 'size' && callArgs.length === 1) {
      const a = this.compile(callArgs[0]);
      return { code: `$.size(${a.code})`, canFail: a.canFail };
    }
    if (name === 'has' && callArgs.length === 1 && callArgs[0].op === '.') {
      const [target, field] = callArgs[0].args as [Node, string];
      const object = this.compile(target);
      const code = typeOf(target).startsWith('map<')
        ? `Object.hasOwn(${object.code}, ${JSON.stringify(field)})`
        : `(${object.code}[${JSON.stringify(field)}] !== undefined)`;
      return { code, canFail: object.canFail };
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
    if (!methods[name] || typeOf(target) !== 'string' || callArgs.length !== 1)
      throw new NotCompiled();
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

/* eslint-disable @typescript-eslint/no-explicit-any -- CEL values are JSON values of any shape */
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';
import { ConfigurationError } from '../util/errors';

/** What CEL knows of a router's records: a variable per top-level field, and the object types. */
export interface CelDeclarations {
  readonly variables: Readonly<Record<string, string>>;
  readonly types: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Whether `record` is a variable holding the whole record. */
  readonly record: boolean;
}

/** A CEL error at run time: the record goes to the dead letters with this reason. */
export class CelEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelEvaluationError';
  }
}

/** A CEL int (a bigint) as a JSON number; lists and maps converted through. */
function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toJson(v)]));
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((x, i) => deepEqual(x, bs[i]));
  }
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  return (
    ak.length === Object.keys(bo).length &&
    ak.every((k) => Object.hasOwn(bo, k) && deepEqual((a as Record<string, unknown>)[k], bo[k]))
  );
}

/**
 * What the code compiled from a router's CEL calls: the operations whose CEL meaning
 * plain JS operators do not have (an absent field or key is an error, `size` counts
 * code points, `==` on lists and maps compares contents), and the interpreter for
 * expressions the compiler leaves to it.
 */
export const celRuntime = {
  /** A field CEL may read only when present and not null (`x?: T`, `T | null`): its own, not inherited. */
  field(object: any, name: string): any {
    if (!Object.hasOwn(object, name)) throw new CelEvaluationError(`no such key: ${name}`);
    const value = object[name];
    if (value === null || value === undefined) {
      throw new CelEvaluationError(`field ${name} is ${String(value)}`);
    }
    return value;
  },
  /** `m[k]` of a map: an absent key is an error. */
  key(map: any, key: string): any {
    if (!Object.hasOwn(map, key)) throw new CelEvaluationError(`no such key: ${key}`);
    return map[key];
  },
  /** `l[i]` of a list: out of range is an error. */
  index(list: readonly any[], i: number): any {
    if (!Number.isInteger(i) || i < 0 || i >= list.length) {
      throw new CelEvaluationError(`index out of range: ${i}`);
    }
    return list[i];
  },
  /** `size(x)`: code points of a string, elements of a list, entries of a map. */
  size(value: any): number {
    if (typeof value === 'string') {
      let n = 0;
      for (const _ of value) n++;
      return n;
    }
    return Array.isArray(value) ? value.length : Object.keys(value).length;
  },
  eq: deepEqual,
  /** `x in list`. */
  inList(value: unknown, list: readonly unknown[]): boolean {
    return list.some((item) => deepEqual(value, item));
  },
  /**
   * An expression the compiler leaves to the CEL interpreter: parsed and checked once,
   * evaluated per record with the record's fields as its variables.
   */
  interpreted(expression: string, declarations: CelDeclarations): (record: any) => any {
    const env = new (celInterpreter().Environment)();
    for (const [name, fields] of Object.entries(declarations.types)) {
      env.registerType(name, { fields: { ...fields } });
    }
    for (const [name, type] of Object.entries(declarations.variables)) {
      env.registerVariable(name, type);
    }
    const program = env.parse(expression);
    const whole = declarations.record;
    return (record) => {
      try {
        return toJson(program(whole ? { ...record, record } : record));
      } catch (error) {
        throw new CelEvaluationError((error as Error).message.split('\n')[0]);
      }
    };
  },
};

/**
 * The CEL interpreter, loaded when an expression needs it: a job that has none never
 * loads it. It is an ES module; Node 20.19+ requires it as it is, a test runner that
 * cannot (jest without transforming it) gets this error instead of a failed import.
 */
function celInterpreter(): { Environment: new () => CelEnvironment } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    return require('@marcbachmann/cel-js') as { Environment: new () => CelEnvironment };
  } catch (error) {
    throw new ConfigurationError(
      `the CEL interpreter (@marcbachmann/cel-js, an ES module) does not load here: ${(error as Error).message}. ` +
        'Node 20.19+ loads it; under jest, transform it (transformIgnorePatterns: ["/node_modules/(?!@marcbachmann/cel-js/)"], with a JS transform)',
    );
  }
}

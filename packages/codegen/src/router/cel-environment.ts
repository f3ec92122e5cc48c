import { Environment } from '@marcbachmann/cel-js';
import type { CelDeclarations } from '@stream-gen/runtime';
import type { FieldShape, Shape } from '../validators';

/** A CEL identifier: what a record field must look like to be a variable of an expression. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A CEL environment for expressions over records of one type: each top-level field is a
 * variable (`durationMs > 60000.0`), nested objects are CEL object types with their
 * fields, arrays lists and string-keyed records maps. A TypeScript `number` is a CEL
 * `double` (a JSON number), so it compares with `60000` but adds to `60000.0`; a field
 * whose type is a union of several kinds is `dyn`, checked at run time.
 */
export function celEnvironment(shape: Shape, typeName: string): CelEnvironment {
  const env = new Environment();
  const mapper = new CelTypes(env);
  const variables: Record<string, string> = {};
  const rootType = mapper.typeOf(shape, typeName);
  for (const field of objectFields(shape) ?? []) {
    if (IDENTIFIER.test(field.name)) {
      const type = mapper.typeOf(field.shape, `${typeName}.${field.name}`);
      env.registerVariable(field.name, type);
      variables[field.name] = type;
    }
  }
  // the whole record too, for has() on an optional field: `has(record.rating)`
  const whole = !(RECORD in variables);
  if (whole) {
    env.registerVariable(RECORD, rootType);
    variables[RECORD] = rootType;
  }
  mapper.optional.set(ROOT, mapper.optional.get(rootType) ?? new Set());
  mapper.nullable.set(ROOT, mapper.nullable.get(rootType) ?? new Set());
  return {
    env,
    declarations: { variables, types: Object.fromEntries(mapper.types), record: whole },
    optional: mapper.optional,
    nullable: mapper.nullable,
  };
}

/** The variable that holds the whole record (unless the record has a field of that name). */
export const RECORD = 'record';

/** The key of the record's own (top-level) fields in {@link CelEnvironment.optional}. */
export const ROOT = '';

export interface CelEnvironment {
  readonly env: Environment;
  /** The same, as data: what the generated code gives the runtime's interpreter. */
  readonly declarations: CelDeclarations;
  /**
   * Per CEL object type (the record itself: {@link ROOT}), the fields that may be absent
   * or null (`x?: T`, `T | null`): reading one is an error in CEL when it is either.
   */
  readonly optional: ReadonlyMap<string, ReadonlySet<string>>;
  /** Of those, the fields that may be null: `has()` on one is left to the interpreter. */
  readonly nullable: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The top-level fields, when records of the type are objects. */
export function objectFields(shape: Shape): readonly FieldShape[] | undefined {
  if (shape.kind === 'object') return shape.fields;
  if (shape.kind === 'recursive') return objectFields(shape.shape);
  return undefined;
}

class CelTypes {
  private readonly registered = new Set<string>();
  /** The object types registered, in order (a type after the types of its fields). */
  readonly types = new Map<string, Record<string, string>>();
  readonly optional = new Map<string, Set<string>>();
  readonly nullable = new Map<string, Set<string>>();
  /** Names of recursive types, to the CEL type registered for them. */
  private readonly recursive = new Map<string, string>();

  constructor(private readonly env: Environment) {}

  typeOf(shape: Shape, path: string): string {
    switch (shape.kind) {
      case 'string':
        return 'string';
      case 'number':
        return 'double';
      case 'boolean':
        return 'bool';
      case 'null':
        return 'null_type';
      case 'unknown':
        return 'dyn';
      case 'literal':
        return typeof shape.value === 'string'
          ? 'string'
          : typeof shape.value === 'number'
            ? 'double'
            : 'bool';
      case 'array':
        return `list<${this.typeOf(shape.element, `${path}[]`)}>`;
      case 'tuple':
        return 'list<dyn>';
      case 'union': {
        // `T | null` and literal unions ('a' | 'b') keep their one kind
        const kinds = new Set(
          shape.options.filter((o) => o.kind !== 'null').map((o) => this.typeOf(o, path)),
        );
        return kinds.size === 1 ? [...kinds][0] : 'dyn';
      }
      case 'recursive': {
        const name = celName(shape.name);
        this.recursive.set(shape.name, name);
        return this.typeOf(shape.shape, path);
      }
      case 'ref':
        return this.recursive.get(shape.name) ?? 'dyn';
      case 'object':
        return this.objectType(shape, path);
    }
  }

  private objectType(shape: Extract<Shape, { kind: 'object' }>, path: string): string {
    if (shape.fields.length === 0 && shape.indexValue) {
      return `map<string, ${this.typeOf(shape.indexValue, `${path}[]`)}>`;
    }
    const name = celName(shape.name ?? path);
    if (this.registered.has(name)) return name;
    this.registered.add(name);
    const fields: Record<string, string> = {};
    const optional = new Set<string>();
    const nullable = new Set<string>();
    for (const field of shape.fields) {
      if (IDENTIFIER.test(field.name)) {
        fields[field.name] = this.typeOf(field.shape, `${path}.${field.name}`);
        const canBeNull =
          field.shape.kind === 'union' && field.shape.options.some((o) => o.kind === 'null');
        if (field.optional || canBeNull) optional.add(field.name);
        if (canBeNull) nullable.add(field.name);
      }
    }
    this.env.registerType(name, { fields });
    this.types.set(name, fields);
    this.optional.set(name, optional);
    this.nullable.set(name, nullable);
    return name;
  }
}

/** Names CEL keeps for its own types. */
const RESERVED = new Set([
  'bool',
  'bytes',
  'double',
  'dyn',
  'int',
  'list',
  'map',
  'null_type',
  'string',
  'type',
  'uint',
  'optional_type',
]);

/** A CEL type name from a TypeScript name or a field path (at least two characters, not CEL's own). */
function celName(name: string): string {
  const plain = name.replace(/[^A-Za-z0-9_]+/g, '_');
  return plain.length < 2 || RESERVED.has(plain) ? `${plain}_type` : plain;
}

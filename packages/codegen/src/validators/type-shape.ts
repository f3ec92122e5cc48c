import {
  Node,
  ts,
  type InterfaceDeclaration,
  type Symbol as MorphSymbol,
  type Type,
  type TypeAliasDeclaration,
} from 'ts-morph';

/**
 * A plain, JSON-serializable description of what a value must look like. It is the
 * contract between the type analysis (this file) and the validator writer, so the
 * writer never needs the TypeScript checker.
 */
export type Shape =
  | PrimitiveShape
  | LiteralShape
  | ArrayShape
  | TupleShape
  | ObjectShape
  | UnionShape
  | RecursiveShape
  | RefShape;

/** `unknown` accepts anything (from `unknown` and `any`). */
export interface PrimitiveShape {
  readonly kind: 'string' | 'number' | 'boolean' | 'null' | 'unknown';
}

export interface LiteralShape {
  readonly kind: 'literal';
  readonly value: string | number | boolean;
}

export interface ArrayShape {
  readonly kind: 'array';
  readonly element: Shape;
}

/** A fixed-length tuple such as `[number, number]` (no optional or rest elements). */
export interface TupleShape {
  readonly kind: 'tuple';
  readonly elements: readonly Shape[];
}

export interface FieldShape {
  readonly name: string;
  readonly optional: boolean;
  readonly shape: Shape;
}

export interface ObjectShape {
  readonly kind: 'object';
  /** The interface or alias name; absent for inline object literal types. */
  readonly name?: string;
  readonly fields: readonly FieldShape[];
  /** The value shape of a string index signature (`Record<string, T>`), checked for every key. */
  readonly indexValue?: Shape;
}

export interface UnionShape {
  readonly kind: 'union';
  /** The alias name (`type Shape = Circle | Square`), for reasons when options are anonymous. */
  readonly name?: string;
  readonly options: readonly Shape[];
}

/** Binds `name` for `ref` shapes inside `shape`: the only way a recursive type is represented. */
export interface RecursiveShape {
  readonly kind: 'recursive';
  readonly name: string;
  readonly shape: Shape;
}

/** Refers to the nearest enclosing `recursive` shape with the same name. */
export interface RefShape {
  readonly kind: 'ref';
  readonly name: string;
}

/** Why a type cannot get a validator; `problems` name the field path of each offending member. */
export interface Unsupported {
  readonly unsupported: string;
  readonly problems: readonly string[];
}

export type ShapeResult = { readonly shape: Shape } | Unsupported;

export function isUnsupported(result: ShapeResult): result is Unsupported {
  return 'unsupported' in result;
}

/** The shape of an interface or type alias declaration (paths in problems start with its name). */
export function shapeOfDeclaration(
  declaration: InterfaceDeclaration | TypeAliasDeclaration,
): ShapeResult {
  return shapeOfType(declaration.getType(), declaration, declaration.getName());
}

/**
 * The shape of `type`. `location` is where member types are resolved (the declaration), and
 * `rootName` starts the paths of reported problems. Never throws on an unsupported type.
 */
export function shapeOfType(type: Type, location: Node, rootName: string): ShapeResult {
  const options = location.getProject().getCompilerOptions();
  if (!(options.strictNullChecks ?? options.strict ?? false)) {
    // without it `T | null` and `x?: T` collapse to `T`, and the validator would be wrong
    const reason = `${rootName}: the project must enable strictNullChecks to derive validators`;
    return { unsupported: reason, problems: [reason] };
  }
  const converter = new ShapeConverter(location);
  const shape = converter.convert(type, rootName);
  if (converter.problems.length > 0) {
    return { unsupported: converter.problems.join('; '), problems: converter.problems };
  }
  return { shape };
}

/** Deeper than this is almost surely an expanding generic (`Box<Box<T>>`), not a real record. */
const MAX_DEPTH = 32;

const ANONYMOUS_SYMBOLS = new Set(['__type', '__object']);

interface InProgress {
  readonly type: Type;
  /** Set when the type turns out to be recursive: the name its refs use. */
  name?: string;
}

class ShapeConverter {
  readonly problems: string[] = [];
  /** Types being converted (keyed by the checker's interned type), to detect recursion. */
  private readonly inProgress = new Map<ts.Type, InProgress>();
  private readonly recursionNames = new Map<ts.Type, string>();
  private depth = 0;
  private program: ts.Program | undefined;

  constructor(private readonly location: Node) {}

  convert(type: Type, path: string): Shape {
    const primitive = this.convertPrimitive(type, path);
    if (primitive !== undefined) return primitive;
    if (this.depth >= MAX_DEPTH) {
      return this.problem(
        path,
        `nesting is deeper than ${MAX_DEPTH} levels (a generic expanding without end?)`,
      );
    }

    const key = type.compilerType;
    const open = this.inProgress.get(key);
    if (open !== undefined) {
      open.name ??= this.recursionName(open.type);
      return { kind: 'ref', name: open.name };
    }
    const entry: InProgress = { type };
    this.inProgress.set(key, entry);
    this.depth++;
    try {
      const shape = this.convertComposite(type, path);
      return entry.name !== undefined ? { kind: 'recursive', name: entry.name, shape } : shape;
    } finally {
      this.depth--;
      this.inProgress.delete(key);
    }
  }

  /** Scalars and literals, or undefined when the type is composite. */
  private convertPrimitive(type: Type, path: string): Shape | undefined {
    const flags = type.getFlags();
    if (type.isAny() || type.isUnknown()) return { kind: 'unknown' };
    if (type.isString()) return { kind: 'string' };
    if (type.isNumber()) return { kind: 'number' };
    // boolean is the union `true | false` to the checker: test it before unions
    if (type.isBoolean()) return { kind: 'boolean' };
    if (type.isNull()) return { kind: 'null' };
    if (type.isStringLiteral() || type.isNumberLiteral()) {
      return { kind: 'literal', value: type.getLiteralValue() as string | number };
    }
    if (type.isBooleanLiteral()) return { kind: 'literal', value: type.getText() === 'true' };
    if (type.isUndefined()) {
      return this.problem(
        path,
        'undefined is not representable in JSON (use an optional field or null)',
      );
    }
    if (flags & ts.TypeFlags.BigIntLike)
      return this.problem(path, 'bigint is not representable in JSON');
    if (flags & ts.TypeFlags.ESSymbolLike)
      return this.problem(path, 'symbol is not representable in JSON');
    if (type.isNever() || type.isVoid()) {
      return this.problem(path, `${this.text(type)} cannot be validated from JSON`);
    }
    if (flags & (ts.TypeFlags.TemplateLiteral | ts.TypeFlags.StringMapping)) {
      return this.problem(path, `template literal type ${this.text(type)} is not supported`);
    }
    if (type.isTypeParameter()) {
      return this.problem(
        path,
        `type parameter ${this.text(type)} is not bound to a concrete type`,
      );
    }
    if (flags & ts.TypeFlags.NonPrimitive) return { kind: 'object', name: 'object', fields: [] };
    return undefined;
  }

  private convertComposite(type: Type, path: string): Shape {
    if (type.isUnion()) {
      const shape = this.convertUnion(type.getUnionTypes(), path);
      const name = type.getAliasSymbol()?.getName();
      return shape.kind === 'union' && name !== undefined ? { ...shape, name } : shape;
    }
    if (type.isArray())
      return {
        kind: 'array',
        element: this.convert(type.getArrayElementTypeOrThrow(), `${path}[]`),
      };
    if (type.isTuple()) return this.convertTuple(type, path);
    if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) {
      return this.problem(path, `function type ${this.text(type)} cannot be validated from JSON`);
    }
    if (type.isIntersection()) {
      const parts = type.getIntersectionTypes();
      if (!parts.every((part) => part.isObject() && !part.isArray() && !part.isTuple())) {
        return this.problem(
          path,
          `intersection ${this.text(type)} is not supported (only of object types)`,
        );
      }
      return this.convertObject(type, path);
    }
    if (type.isObject()) {
      const builtIn = this.builtInName(type);
      if (builtIn !== undefined)
        return this.problem(path, `${builtIn} is not representable in JSON`);
      return this.convertObject(type, path);
    }
    return this.problem(path, `type ${this.text(type)} is not supported`);
  }

  /** Members of a union in checker order, except `null` last; `true | false` becomes boolean. */
  convertUnion(members: readonly Type[], path: string): Shape {
    const hasTrue = members.some((m) => m.isBooleanLiteral() && m.getText() === 'true');
    const hasFalse = members.some((m) => m.isBooleanLiteral() && m.getText() === 'false');
    const options: Shape[] = [];
    let booleanAdded = false;
    for (const member of members) {
      if (hasTrue && hasFalse && member.isBooleanLiteral()) {
        if (!booleanAdded) options.push({ kind: 'boolean' });
        booleanAdded = true;
        continue;
      }
      const shape = this.convert(member, path);
      options.push(...(shape.kind === 'union' ? shape.options : [shape]));
    }
    const unique = dedupe(options);
    if (unique.some((option) => option.kind === 'unknown')) return { kind: 'unknown' };
    const ordered = [
      ...unique.filter((option) => option.kind !== 'null'),
      ...unique.filter((option) => option.kind === 'null'),
    ];
    return ordered.length === 1 ? ordered[0] : { kind: 'union', options: ordered };
  }

  private convertTuple(type: Type, path: string): Shape {
    const target = (type.compilerType as ts.TypeReference).target as ts.TupleType;
    if (target.elementFlags.some((flag) => (flag & ts.ElementFlags.Required) === 0)) {
      return this.problem(
        path,
        `tuple ${this.text(type)} with optional or rest elements is not supported`,
      );
    }
    const elements = type
      .getTupleElements()
      .map((element, i) => this.convert(element, `${path}[${i}]`));
    return { kind: 'tuple', elements };
  }

  private convertObject(type: Type, path: string): Shape {
    const name = this.objectName(type);
    const method = type
      .getProperties()
      .find((property) =>
        property
          .getDeclarations()
          .some((d) => Node.isMethodSignature(d) || Node.isMethodDeclaration(d)),
      );
    if (method !== undefined) {
      // class instances and objects with behaviour never come out of JSON.parse
      return this.problem(
        path,
        `${name ?? 'object'} has method ${method.getName()}(): objects with methods (class instances) cannot be validated from JSON`,
      );
    }
    const fields: FieldShape[] = [];
    for (const property of type.getProperties()) {
      const fieldName = property.getName();
      const fieldPath = `${path}.${fieldName}`;
      if (fieldName.startsWith('__@')) {
        this.problem(fieldPath, 'symbol-keyed properties are not representable in JSON');
        continue;
      }
      const { shape, optional } = this.convertMember(
        property.getTypeAtLocation(this.location),
        fieldPath,
      );
      fields.push({ name: fieldName, optional: optional || property.isOptional(), shape });
    }
    const shape: { -readonly [K in keyof ObjectShape]: ObjectShape[K] } = {
      kind: 'object',
      fields,
    };
    if (name !== undefined) shape.name = name;
    const index = type.getStringIndexType();
    if (index !== undefined) {
      shape.indexValue = this.convertMember(index, `${path}[string]`).shape;
    } else if (type.getNumberIndexType() !== undefined) {
      this.problem(
        path,
        'number index signatures are not supported (JSON keys are strings, use Record<string, T>)',
      );
    }
    return shape;
  }

  /** A member type, where `| undefined` means optional rather than a value. */
  private convertMember(type: Type, path: string): { shape: Shape; optional: boolean } {
    if (!type.isUnion() || type.isBoolean())
      return { shape: this.convert(type, path), optional: false };
    const members = type.getUnionTypes();
    const defined = members.filter((member) => !member.isUndefined());
    if (defined.length === members.length)
      return { shape: this.convert(type, path), optional: false };
    if (defined.length === 0) return { shape: this.convert(type, path), optional: true };
    return { shape: this.convertUnion(defined, path), optional: true };
  }

  /** The name of an object type declared in the default library (Date, Map, Set, ...), if it is one. */
  private builtInName(type: Type): string | undefined {
    const symbol = type.getSymbol();
    if (symbol === undefined) return undefined;
    // only classes and interfaces: `Record<K, T>` is a lib mapped type that is plain data
    if ((symbol.getFlags() & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) === 0)
      return undefined;
    return this.declaredInLib(symbol) ? symbol.getName() : undefined;
  }

  /** The declared name, but not lib helpers (`Record`, `Partial`): they name no record. */
  private objectName(type: Type): string | undefined {
    const alias = type.getAliasSymbol();
    const aliasName =
      alias !== undefined && !this.declaredInLib(alias) ? alias.getName() : undefined;
    const name = aliasName ?? type.getSymbol()?.getName();
    return name === undefined || ANONYMOUS_SYMBOLS.has(name) ? undefined : name;
  }

  private declaredInLib(symbol: MorphSymbol): boolean {
    const declarations = symbol.getDeclarations();
    this.program ??= this.location.getProject().getProgram().compilerObject;
    const program = this.program;
    return (
      declarations.length > 0 &&
      declarations.every((d) => program.isSourceFileDefaultLibrary(d.getSourceFile().compilerNode))
    );
  }

  /** A name for refs to this type, unique within one conversion (two `Node` types get `Node`, `Node2`). */
  private recursionName(type: Type): string {
    const known = this.recursionNames.get(type.compilerType);
    if (known !== undefined) return known;
    const base = this.objectName(type) ?? 'Anonymous';
    const taken = new Set(this.recursionNames.values());
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}${n}`;
    this.recursionNames.set(type.compilerType, name);
    return name;
  }

  /** A type as written at the declaration (no `import("...")` qualifiers). */
  private text(type: Type): string {
    return type.getText(this.location);
  }

  private problem(path: string, reason: string): Shape {
    const shown = path.length > 120 ? `${path.slice(0, 60)}...${path.slice(-40)}` : path;
    this.problems.push(`${shown}: ${reason}`);
    return { kind: 'unknown' };
  }
}

function dedupe(shapes: readonly Shape[]): Shape[] {
  const seen = new Set<string>();
  return shapes.filter((shape) => {
    const key = JSON.stringify(shape);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

import { Node, type MethodDeclaration, type Type, type TypeNode } from 'ts-morph';
import type { TypeRef } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { checkJsonType } from './json-type';

/** A stream's element type: as ts-morph sees it, and as generated code names it. */
export interface ElementType {
  readonly type: Type;
  readonly ref: TypeRef;
  readonly node: TypeNode;
}

/** The type elements of a stream have, and where it comes from (for messages). */
export interface CarriedType {
  readonly type: Type;
  readonly text: string;
  /** e.g. `@Source<Transaction>`, or `stage "parse"`. */
  readonly origin: string;
}

export const declaredCarried = (declared: ElementType): CarriedType => ({
  type: declared.type,
  text: declared.ref.text,
  origin: `@Source<${declared.ref.text}>`,
});

/**
 * An element type written in user code (`@Source<T>`, or a handler's first parameter):
 * it must be an exported named type that JSON can carry, since the generated runner
 * imports it and derives its validator from it.
 */
export function readElementTypeNode(
  typeNode: TypeNode,
  owner: string,
  source: string,
  sink: DiagnosticsSink,
  /** False when the records are validated against another type (reported there). */
  checkJson = true,
): ElementType | undefined {
  const written = typeNode.getText();
  const named = Node.isTypeReference(typeNode) && typeNode.getTypeArguments().length === 0;
  const keyword = ['string', 'number', 'boolean'].includes(written);
  if (!named && !keyword) {
    sink.report(
      'SG1102',
      `element type '${written}' of ${owner} must be the name of an exported interface or type alias, without type arguments`,
      typeNode,
    );
    return undefined;
  }
  const type = typeNode.getType();
  const ref = typeRefOf(type, written);
  if (ref.module === null) {
    sink.report(
      'SG1102',
      `element type '${written}' of ${owner} must be an exported interface or type alias, so the generated runner can import it`,
      typeNode,
    );
    return undefined;
  }
  const problem = checkJson && checkJsonType(type, typeNode, written);
  if (problem) {
    sink.report(
      'SG1801',
      `element type '${written}' of source "${source}" cannot be validated: ${problem}`,
      typeNode,
    );
  }
  return { type, ref: { text: ref.text, module: ref.module }, node: typeNode };
}

/**
 * The element type a handler takes. When the stream's type is known (`@Source<T>`, or
 * what a stage gives), records are validated against it, so the handler's parameter
 * must accept it: otherwise every valid record would reach a handler that expects
 * something else.
 */
export function readHandlerElementType(
  method: MethodDeclaration,
  source: string,
  carried: CarriedType | undefined,
  sink: DiagnosticsSink,
): ElementType | undefined {
  const element = readHandlerParam(method, [source], sink, carried ? undefined : source);
  return element && acceptCarried(method, element, source, carried, sink);
}

/**
 * The element type a handler's first parameter declares, for the streams it reads
 * (SG1102 when it declares none). `validated` is the stream whose records are validated
 * against it, when one is (its type is not known otherwise): JSON must carry it then.
 */
export function readHandlerParam(
  method: MethodDeclaration,
  streams: readonly string[],
  sink: DiagnosticsSink,
  validated: string | undefined,
): ElementType | undefined {
  const param = method.getParameters()[0];
  const typeNode = param?.getTypeNode();
  if (!param || !typeNode) {
    const reads = streams.map((s) => `"${s}"`).join(', ');
    sink.report(
      'SG1102',
      `handler '${method.getName()}' of ${streams.length === 1 ? 'source' : 'sources'} ${reads} must declare its element type: (element: T, ctx: ElementContext<Out>)`,
      param ?? method.getNameNode(),
    );
    return undefined;
  }
  const owner = `handler '${method.getName()}'`;
  return readElementTypeNode(typeNode, owner, validated ?? streams[0], sink, !!validated);
}

/** `element` when it accepts what `source` carries (or that is unknown); SG1102 otherwise. */
export function acceptCarried(
  method: MethodDeclaration,
  element: ElementType,
  source: string,
  carried: CarriedType | undefined,
  sink: DiagnosticsSink,
): ElementType | undefined {
  if (!carried || carried.type.isAssignableTo(element.type)) return element;
  const stream = carried.origin.startsWith('@Source') ? 'source' : 'stream';
  sink.report(
    'SG1102',
    `handler '${method.getName()}' takes '${element.ref.text}', but ${stream} "${source}" carries '${carried.text}' (${carried.origin}): ${mismatch(carried, element)}`,
    element.node,
  );
  return undefined;
}

const isPlainObject = (type: Type) => type.isObject() && !type.isUnion() && !type.isArray();

/** Why `from` does not fit `to`: field by field (the first three) for two object types. */
function mismatch(from: CarriedType, to: ElementType): string {
  const generic = `'${from.text}' is not assignable to '${to.ref.text}'`;
  if (!isPlainObject(from.type) || !isPlainObject(to.type)) return generic;
  const reasons: string[] = [];
  for (const property of to.type.getProperties()) {
    const name = property.getName();
    const wanted = property.getTypeAtLocation(to.node);
    const given = from.type.getProperty(name);
    if (!given) {
      if (!property.isOptional()) reasons.push(`'${from.text}' has no field '${name}'`);
      continue;
    }
    const actual = given.getTypeAtLocation(to.node);
    if (!actual.isAssignableTo(wanted)) {
      reasons.push(
        `field '${name}' is ${actual.getText(to.node)} in '${from.text}' but ${wanted.getText(to.node)} in '${to.ref.text}'`,
      );
    }
  }
  return reasons.length > 0 ? reasons.slice(0, 3).join('; ') : generic;
}

/**
 * The module that exports a named type: `undefined` for built-ins and library types,
 * `null` when it is declared in the project but not exported.
 */
function typeRefOf(type: Type, text: string): { text: string; module: string | undefined | null } {
  const symbol = type.getAliasSymbol() ?? type.getSymbol();
  const declaration = symbol?.getDeclarations()[0];
  if (!declaration) return { text, module: undefined };
  const file = declaration.getSourceFile();
  if (file.isInNodeModules() || file.isDeclarationFile()) return { text, module: undefined };
  if (Node.isInterfaceDeclaration(declaration) || Node.isTypeAliasDeclaration(declaration)) {
    return { text, module: declaration.isExported() ? file.getFilePath() : null };
  }
  return { text, module: undefined };
}

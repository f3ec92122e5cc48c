import { toMillis, type Duration } from '@stream-gen/annotations';
import { Node, type Decorator } from 'ts-morph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { staticValue, type StaticValue } from './static-value';

export type StaticObject = { readonly [key: string]: StaticValue };

export function asObject(value: StaticValue): StaticObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !('node' in value)
    ? (value as StaticObject)
    : {};
}

/**
 * A decorator's options when they are static, read without reporting: for a look ahead
 * at another decorator, which reports its own options where it is read.
 */
export function staticOptions(decorator: Decorator): StaticObject {
  const options = decorator.getArguments()[0];
  try {
    return options ? asObject(staticValue(options)) : {};
  } catch {
    return {};
  }
}

/** Milliseconds of a duration option, reporting SG1002 when it is not one. */
export function durationOption(
  sink: DiagnosticsSink,
  value: StaticValue,
  what: string,
  node: Node,
): number | undefined {
  if (value === undefined) return undefined;
  try {
    return toMillis(value as Duration);
  } catch (error) {
    sink.report('SG1002', `${what}: ${(error as Error).message}`, node);
    return undefined;
  }
}

export function stringOption(
  sink: DiagnosticsSink,
  value: StaticValue,
  what: string,
  node: Node,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length > 0) return value;
  sink.report('SG1002', `${what} must be a non-empty string`, node);
  return undefined;
}

/**
 * The value of property `path` when `options` is an object literal: where to point a
 * diagnostic. A string path is dotted for nested objects (`rateLimit.perSecond`); an
 * array names keys that may hold dots themselves (`['sideOutputs', 'late.v2']`).
 */
export function optionNode(
  options: Node | undefined,
  path: string | readonly string[],
): Node | undefined {
  let node: Node | undefined = options;
  for (const name of typeof path === 'string' ? path.split('.') : path) {
    if (!node || !Node.isObjectLiteralExpression(node)) return undefined;
    const property = node.getProperties().find((p) => propertyName(p) === name);
    node = property && Node.isPropertyAssignment(property) ? property.getInitializer() : undefined;
  }
  return node;
}

/** A property's key as a value: `late`, `'b-c'` and `"b-c"` are `late`, `b-c`, `b-c`. */
function propertyName(property: Node): string | undefined {
  if (!Node.isPropertyAssignment(property)) return undefined;
  const name = property.getNameNode();
  return Node.isStringLiteral(name) || Node.isNumericLiteral(name)
    ? String(name.getLiteralValue())
    : name.getText();
}

/** The value of option `path` if it is written there, else the whole options (or decorator). */
export function optionAt(options: Node, path: string | readonly string[]): Node {
  return optionNode(options, path) ?? options;
}

import { Node, SyntaxKind, type Type } from 'ts-morph';
import { didYouMean, nearName } from './near-name';
import { FunctionValue, type StaticValue } from './static-value';

type Expected = 'key' | 'time';

const describeExpected = (expected: Expected) =>
  expected === 'key' ? 'a string or a number' : 'a number (epoch ms)';

function fits(type: Type, expected: Expected): boolean {
  const parts = type.isUnion() ? type.getUnionTypes() : [type];
  return parts.every((t) =>
    expected === 'time'
      ? t.isNumber() || t.isNumberLiteral()
      : t.isString() ||
        t.isNumber() ||
        t.isStringLiteral() ||
        t.isNumberLiteral() ||
        t.isTemplateLiteral(),
  );
}

/**
 * What a (syntactically pure) selector gives for `elementType`, or why it cannot: a
 * field path naming a missing or optional field, an arrow reading a missing field.
 * Undefined when nothing can be said (not a selector).
 */
function selectorResult(
  value: StaticValue,
  elementType: Type,
  at: Node,
): { readonly type: Type } | { readonly problem: string } | undefined {
  if (typeof value === 'string') {
    let result = elementType;
    const segments = value.split('.');
    for (const [i, segment] of segments.entries()) {
      const property = result.getProperty(segment);
      if (!property) {
        const fields = result.getProperties().map((p) => p.getName());
        const where = segment === value ? '' : ` (path '${value}')`;
        // suggest the whole path, so it can be copied as it is
        const near = nearName(segment, fields);
        const path = [...segments.slice(0, i), near].join('.');
        return {
          problem: `'${result.getText(at)}' has no field '${segment}'${where}${near === undefined ? '' : `; did you mean '${path}'?`}`,
        };
      }
      const fieldType = property.getTypeAtLocation(at);
      if (property.isOptional() || fieldType.isNullable()) {
        return {
          problem: `field '${segment}' of path '${value}' is optional or nullable; a key and an event time must always be there`,
        };
      }
      result = fieldType;
    }
    return { type: result };
  }
  if (value instanceof FunctionValue && Node.isArrowFunction(value.node)) {
    const missing = missingField(value.node, elementType);
    return missing ? { problem: missing } : { type: value.node.getReturnType() };
  }
  return undefined;
}

/**
 * Why a (syntactically pure) selector does not fit the element type: a field path
 * naming a missing or optional field, or a result that is not a key / a timestamp.
 * Undefined when it fits. Catching it here beats a compile error in generated code.
 */
export function selectorTypeProblem(
  value: StaticValue,
  elementType: Type,
  expected: Expected,
  at: Node,
): string | undefined {
  const result = selectorResult(value, elementType, at);
  if (!result || 'problem' in result) return result?.problem;
  return fits(result.type, expected)
    ? undefined
    : `it gives '${result.type.getText(at)}', not ${describeExpected(expected)}`;
}

/**
 * The type a key selector that fits gives for `elementType`, widened to what keys are
 * compared by: `string`, `number` or `number | string` (literal and template types are
 * their primitive's). Undefined when it does not fit (reported) or is unknown.
 */
export function keyTypeOf(value: StaticValue, elementType: Type, at: Node): string | undefined {
  const result = selectorResult(value, elementType, at);
  if (!result || 'problem' in result || !fits(result.type, 'key')) return undefined;
  const parts = result.type.isUnion() ? result.type.getUnionTypes() : [result.type];
  const widened = parts.map((t) => (t.isNumber() || t.isNumberLiteral() ? 'number' : 'string'));
  return [...new Set(widened)].sort().join(' | ');
}

/**
 * A field the arrow reads from its parameter that the element type lacks (`e.usr`): the
 * compiler types it `any`, so without this the message would only say the key is `any`.
 */
function missingField(arrow: Node, elementType: Type): string | undefined {
  if (!Node.isArrowFunction(arrow)) return undefined;
  const param = arrow.getParameters()[0]?.getName();
  for (const access of arrow.getDescendantsOfKind(SyntaxKind.PropertyAccessExpression)) {
    if (access.getExpression().getText() !== param) continue;
    const name = access.getName();
    if (elementType.getProperty(name)) continue;
    const fields = elementType.getProperties().map((p) => p.getName());
    return `'${elementType.getText(arrow)}' has no field '${name}'${didYouMean(name, fields, '', "'")}`;
  }
  return undefined;
}

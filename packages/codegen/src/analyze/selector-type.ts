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
  let result: Type;
  if (typeof value === 'string') {
    result = elementType;
    const segments = value.split('.');
    for (const [i, segment] of segments.entries()) {
      const property = result.getProperty(segment);
      if (!property) {
        const fields = result.getProperties().map((p) => p.getName());
        const where = segment === value ? '' : ` (path '${value}')`;
        // suggest the whole path, so it can be copied as it is
        const near = nearName(segment, fields);
        const path = [...segments.slice(0, i), near].join('.');
        return `'${result.getText(at)}' has no field '${segment}'${where}${near === undefined ? '' : `; did you mean '${path}'?`}`;
      }
      const fieldType = property.getTypeAtLocation(at);
      if (property.isOptional() || fieldType.isNullable()) {
        return `field '${segment}' of path '${value}' is optional or nullable; a key and an event time must always be there`;
      }
      result = fieldType;
    }
  } else if (value instanceof FunctionValue && Node.isArrowFunction(value.node)) {
    const missing = missingField(value.node, elementType);
    if (missing) return missing;
    result = value.node.getReturnType();
  } else {
    return undefined;
  }
  return fits(result, expected)
    ? undefined
    : `it gives '${result.getText(at)}', not ${describeExpected(expected)}`;
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

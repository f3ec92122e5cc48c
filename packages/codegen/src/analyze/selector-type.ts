import { Node, type Type } from 'ts-morph';
import { didYouMean } from './near-name';
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
    for (const segment of value.split('.')) {
      const property = result.getProperty(segment);
      if (!property) {
        const fields = result.getProperties().map((p) => p.getName());
        const where = segment === value ? '' : ` (path '${value}')`;
        return `'${result.getText(at)}' has no field '${segment}'${where}${didYouMean(segment, fields, '', "'")}`;
      }
      const fieldType = property.getTypeAtLocation(at);
      if (property.isOptional() || fieldType.isNullable()) {
        return `field '${segment}' of path '${value}' is optional or nullable; a key and an event time must always be there`;
      }
      result = fieldType;
    }
  } else if (value instanceof FunctionValue && Node.isArrowFunction(value.node)) {
    result = value.node.getReturnType();
  } else {
    return undefined;
  }
  return fits(result, expected)
    ? undefined
    : `it gives '${result.getText(at)}', not ${describeExpected(expected)}`;
}

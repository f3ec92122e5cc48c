import type { ClassDeclaration, Type } from 'ts-morph';
import type { CarriedType } from './element-type';

/**
 * What a class's operator (or keyed stage) emits, read from its handlers: the type
 * argument of `ElementContext<Out>`, or what an `@AsyncEnrich` method's promise
 * resolves to.
 */
export function operatorOutputType(cls: ClassDeclaration): CarriedType | undefined {
  if (cls.getDecorators().some((d) => d.getName() === 'Window')) return windowOutputType(cls);
  for (const method of cls.getMethods()) {
    const names = method.getDecorators().map((d) => d.getName());
    let type: Type | undefined;
    if (names.includes('AsyncEnrich')) {
      const returns = method.getReturnType();
      type = returns.getSymbol()?.getName() === 'Promise' ? returns.getTypeArguments()[0] : returns;
    } else if (names.includes('ProcessElement')) {
      type = method.getParameters()[1]?.getType().getTypeArguments()[0];
    }
    if (type) return { type, text: type.getText(method), origin: `what ${cls.getName()} emits` };
  }
  return undefined;
}

/**
 * What a `@Window` class emits: what an aggregate's `result` returns (without the
 * `undefined` that emits nothing), or the element type of `process`'s iterable.
 */
function windowOutputType(cls: ClassDeclaration): CarriedType | undefined {
  const result = cls.getMethod('result');
  const process = cls.getMethod('process');
  const method = result ?? process;
  if (!method) return undefined;
  const returns = method.getReturnType();
  const type = result
    ? returns.getNonNullableType()
    : (returns.getTypeArguments()[0] ?? returns.getArrayElementType());
  if (!type) return undefined;
  return { type, text: type.getText(method), origin: `what ${cls.getName()} emits` };
}

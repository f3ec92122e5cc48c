import type { ClassDeclaration, Type } from 'ts-morph';
import type { CarriedType } from './element-type';

/**
 * What a class's operator (or keyed stage) emits, read from its handlers: the type
 * argument of `ElementContext<Out>`, or what an `@AsyncEnrich` method's promise
 * resolves to.
 */
export function operatorOutputType(cls: ClassDeclaration): CarriedType | undefined {
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

import type { ClassDeclaration } from 'ts-morph';
import { staticOptions } from './options';

/** The class decorators that make a class an operator (`@AsyncEnrich` is on a method). */
export const OPERATOR_DECORATORS = ['CoProcess', 'KeyedProcess', 'Union', 'Window'];

/** The class's operator decorators, in the order they are written: the first is read. */
export const operatorDecorators = (cls: ClassDeclaration) =>
  cls.getDecorators().filter((d) => OPERATOR_DECORATORS.includes(d.getName()));

/**
 * The static inputs of the class's `@Union`, when that is its operator: what a
 * `@ProcessElement()` without a source handles (readOperator reports the options).
 */
export function unionInputs(cls: ClassDeclaration): string[] | undefined {
  const decorator = operatorDecorators(cls)[0];
  if (decorator?.getName() !== 'Union') return undefined;
  const inputs = staticOptions(decorator).inputs;
  return Array.isArray(inputs) ? inputs.filter((i): i is string => typeof i === 'string') : [];
}

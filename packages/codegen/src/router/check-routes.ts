import type { Environment } from '@marcbachmann/cel-js';
import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import type { RouterConfig, RouterExpression } from './router-model';

interface CelError {
  readonly name?: string;
  readonly message: string;
  readonly range?: { readonly start: number; readonly end: number };
  readonly node?: { readonly range?: { readonly start: number; readonly end: number } };
}

/**
 * Type-checks every expression of a router against its source type: each filter must
 * parse and give a bool, each projected field must parse and fit (SG3101–SG3103). Sets
 * the CEL type of each projected field.
 */
export function checkRoutes(router: RouterConfig, env: Environment, sink: DiagnosticsSink): void {
  const source = router.source.type;
  for (const route of router.routes) {
    if (route.filter) {
      const type = checkExpression(
        env,
        route.filter,
        `filter of route "${route.name}"`,
        source,
        sink,
      );
      if (type !== undefined && type !== 'bool' && type !== 'dyn') {
        sink.reportAt(
          'SG3103',
          `the filter of route "${route.name}" gives ${type}, not bool`,
          route.filter.locate(0),
          route.filter.text.length,
        );
      }
    }
    for (const field of route.project ?? []) {
      field.type = checkExpression(
        env,
        field.expression,
        `field "${field.name}" of route "${route.name}"`,
        source,
        sink,
      );
    }
  }
}

/** The expression's CEL type, or undefined after reporting why it does not check. */
function checkExpression(
  env: Environment,
  expression: RouterExpression,
  what: string,
  sourceType: string,
  sink: DiagnosticsSink,
): string | undefined {
  let result: ReturnType<Environment['check']>;
  try {
    result = env.check(expression.text);
  } catch (error) {
    result = { valid: false, error: error as never };
  }
  if (result.valid) return result.type;
  const error = result.error as CelError | undefined;
  const range = error?.range ?? error?.node?.range ?? { start: 0, end: expression.text.length };
  const parse = error?.name === 'ParseError';
  const message = (error?.message ?? 'invalid expression').split('\n')[0];
  sink.reportAt(
    parse ? 'SG3101' : 'SG3102',
    parse
      ? `the ${what} does not parse: ${message}`
      : `the ${what} does not fit ${sourceType}: ${message}${hintFor(message)}`,
    expression.locate(range.start),
    Math.max(1, range.end - range.start),
  );
  return undefined;
}

/** A number field is a CEL double: the fix most mismatches of number types need. */
function hintFor(message: string): string {
  return /\b(double \S+ int|int \S+ double)\b/.test(message)
    ? ' (a TypeScript number is a CEL double: write 60000.0, not 60000)'
    : '';
}

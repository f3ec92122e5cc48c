import type { Node } from 'ts-morph';
import type { ErrorPolicyNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { locationOf } from './location';
import { optionNode } from './options';
import { ClassValue, describeStatic, FunctionValue, type StaticValue } from './static-value';

const THEN = ['dead-letter', 'fail'] as const;

/**
 * `@StreamJob({ onError: { retries, then } })`, or undefined when absent or invalid
 * (reported as SG1901 at the offending value).
 */
export function readErrorPolicy(
  value: StaticValue,
  jobOptions: Node | undefined,
  fallback: Node,
  sink: DiagnosticsSink,
): ErrorPolicyNode | undefined {
  if (value === undefined) return undefined;
  const where = optionNode(jobOptions, 'onError') ?? fallback;
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof FunctionValue ||
    value instanceof ClassValue
  ) {
    sink.report(
      'SG1901',
      `@StreamJob onError must be an object like { retries: 2, then: 'dead-letter' }`,
      where,
    );
    return undefined;
  }
  const at = (key: string) => optionNode(where, key) ?? where;
  let valid = true;
  const problem = (message: string, node: Node) => {
    sink.report('SG1901', `@StreamJob onError${message}`, node);
    valid = false;
  };
  for (const key of Object.keys(value)) {
    if (key === 'retries' || key === 'then') continue;
    // the property (its name first) rather than its value
    const property = optionNode(where, key)?.getParent() ?? where;
    problem(` has no option "${key}"; it takes retries and then`, property);
  }
  const { retries = 0, then = 'dead-letter' } = value;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0) {
    problem(`.retries must be a whole number >= 0, got ${describeStatic(retries)}`, at('retries'));
  }
  if (!THEN.includes(then as (typeof THEN)[number])) {
    problem(`.then must be 'dead-letter' or 'fail', got ${describeStatic(then)}`, at('then'));
  }
  if (!valid) return undefined;
  return {
    retries: retries as number,
    then: then as ErrorPolicyNode['then'],
    location: locationOf(where),
  };
}

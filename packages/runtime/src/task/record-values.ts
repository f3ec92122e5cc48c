import { decodeWithin } from '../connectors/json-codec';
import { DEFAULT_MAX_RECORD_BYTES, type SourceSpec, type Step } from '../job/job-spec';
import { errorMessage } from '../util/error-message';
import type { CallFailure } from './call-failure';
import { describeValue } from './describe-value';
import type { InputElement } from './input-element';
import { SourcePlan, type PlannedValues } from './source-plan';
import { applySteps, withStepRetries } from './steps';

/**
 * What one record of a source becomes before keying: the values its steps give, or
 * why it gives none (rejected: too large, not JSON, null, invalid; failed: a step threw
 * on every attempt). `value` is the record as decoded, for dead letters.
 */
export type RecordValues = { readonly offset: number; readonly value: unknown } & (
  | {
      readonly values: readonly unknown[];
      /** Values of the streams its stages copy to sinks (`outputs.streams`), when planned. */
      readonly copies: PlannedValues['copies'];
      /** Branches of a fork that failed on it, when planned (the others got it). */
      readonly failures: PlannedValues['failures'];
    }
  | { readonly rejected: string }
  | { readonly failed: CallFailure }
);

/** The copies of a record whose source copies no stream (shared: never written to). */
const NO_COPIES: PlannedValues['copies'] = Object.freeze([]) as unknown as PlannedValues['copies'];
const NO_FAILURES = NO_COPIES as unknown as PlannedValues['failures'];

/**
 * Size, decoding, validation and the steps of one record. The task's ingest and the
 * re-keying stage both go through here, so the stage sends a record's values where the
 * task will key them, and a record the task rejects to one task only.
 */
export function recordValues(
  spec: SourceSpec,
  /** The source's steps, or its plan (steps and the tree of its stages). */
  steps: readonly Step[] | SourcePlan | undefined,
  element: InputElement,
  retries: number,
): RecordValues {
  const { offset, value, error } = decodeWithin(
    element,
    spec.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
  );
  if (error !== undefined) return { offset, value, rejected: error };
  if (value === null) {
    return { offset, value, rejected: 'record value is null (a Kafka tombstone or JSON null)' };
  }
  const invalid = spec.validate?.(value);
  if (invalid !== undefined) return { offset, value, rejected: `invalid record: ${invalid}` };
  if (!steps) return { offset, value, values: [value], copies: NO_COPIES, failures: NO_FAILURES };
  const run =
    steps instanceof SourcePlan
      ? () => steps.run(value, retries)
      : () => ({
          main: applySteps(steps, value),
          copies: NO_COPIES,
          failures: NO_FAILURES,
        });
  const out = withStepRetries(run, retries);
  if ('failure' in out) return { offset, value, failed: out.failure };
  const { main, copies, failures } = out.result;
  return { offset, value, values: main, copies, failures };
}

/** The element's key as a string, or why it has none. */
export function selectKey(
  selector: (value: unknown) => unknown,
  value: unknown,
): string | { reason: string } {
  let selected: unknown;
  try {
    selected = selector(value);
  } catch (error) {
    return { reason: `key selector threw: ${errorMessage(error)}` };
  }
  if (selected === null || selected === undefined) {
    return { reason: `record has no key: the key selector returned ${selected}` };
  }
  if (typeof selected !== 'string' && !Number.isFinite(selected)) {
    return { reason: `key must be a string or a finite number, got ${describeValue(selected)}` };
  }
  return String(selected);
}

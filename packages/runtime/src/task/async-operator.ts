import { AsyncCaller, type CallResult } from '../async/async-caller';
import { startLookups } from '../async/lookup-refresher';
import type { OperatorSpec } from '../job/job-spec';
import { systemClock } from '../time/clock';
import type { Logger } from '../util/logger';

type AsyncSpec = Extract<OperatorSpec, { kind: 'async' }>;

/** The limits hold per process: every task of the job shares one caller. */
const callers = new WeakMap<AsyncSpec, AsyncCaller>();

export interface AsyncOperator {
  readonly name: string;
  /** Enriches a batch; `onResult` gets each outcome, in input order when the spec is ordered. */
  enrichBatch(
    values: readonly unknown[],
    onResult: (index: number, result: CallResult) => void,
  ): Promise<void>;
  close(): void;
}

/**
 * Creates the task's enrich function and loads its lookup tables before the task
 * processes anything. The batch is awaited as a whole, so a slow service holds the
 * source back (back-pressure) instead of buffering without bound.
 */
export async function openAsyncOperator(spec: AsyncSpec, logger: Logger): Promise<AsyncOperator> {
  const fn = await spec.create();
  const stopLookups = await startLookups(fn.lookups ?? [], logger);
  let caller = callers.get(spec);
  if (!caller) {
    // Rate limits are about wall-clock time, also under a test's manual clock.
    caller = new AsyncCaller(spec.limits, systemClock);
    callers.set(spec, caller);
  }
  const shared = caller;
  return {
    name: spec.name,
    async enrichBatch(values, onResult) {
      const calls = values.map((value) => shared.call((signal) => fn.enrich(value, signal)));
      if (spec.ordered === false) {
        await Promise.all(calls.map((call, i) => call.then((result) => onResult(i, result))));
      } else {
        (await Promise.all(calls)).forEach((result, i) => onResult(i, result));
      }
    },
    close: stopLookups,
  };
}

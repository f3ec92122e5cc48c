import type { SourceSpec } from '../job/job-spec';
import { eventTimeOf } from '../task/event-time';
import { recordValues, selectKey } from '../task/record-values';
import { stableHash } from '../util/stable-hash';

/** One repartition partition a record goes to, and which of its values the task there takes. */
export interface RecordRoute {
  readonly partition: number;
  /** The key of the first value sent there; null when it has none. */
  readonly key: string | null;
  /** Indexes of the values the task there keys; absent when the record goes nowhere else. */
  readonly values?: readonly number[];
}

export interface RoutedRecord {
  readonly routes: readonly RecordRoute[];
  /** The largest event time among the record's values that a task would accept. */
  readonly maxEventTime?: number;
}

export interface RouteOptions {
  readonly partitions: number;
  /** Retries of a step that throws (the job's error policy). */
  readonly retries: number;
  /** Processing time, that event times from the future are checked against. */
  readonly now: number;
}

/**
 * Where a record of a re-keyed source goes: every value its steps give (a flatMap gives
 * several) to the partition of its key, each partition told which values are its own.
 * The downstream task runs the same steps again and keys only those, so value i of the
 * record at `<source>:<partition>@<offset>` keeps the origin `...@<offset>.<i>` wherever
 * it goes. A record the task rejects (too large, not JSON, null, invalid), one whose
 * steps throw and a value without a key go to partition 0, where the task dead-letters
 * them with the reason, each once.
 */
export function routeRecord(
  spec: SourceSpec,
  encoded: string,
  options: RouteOptions,
): RoutedRecord {
  const outcome = recordValues(spec, spec.steps, { offset: 0, encoded }, options.retries);
  const keyOf = spec.key;
  if (!('values' in outcome) || outcome.values.length === 0 || !keyOf) {
    return { routes: [{ partition: 0, key: null }] };
  }
  const shares = new Map<number, { key: string | null; values: number[] }>();
  let maxEventTime: number | undefined;
  outcome.values.forEach((value, i) => {
    if (spec.eventTime) {
      const ts = eventTimeOf(spec.eventTime, value, options.now);
      // a time the task would refuse (not a number, far in the future) moves no mark
      if (typeof ts === 'number') maxEventTime = Math.max(maxEventTime ?? ts, ts);
    }
    const selected = selectKey(keyOf, value);
    const key = typeof selected === 'string' ? selected : null;
    const partition = key === null ? 0 : stableHash(key) % options.partitions;
    const share = shares.get(partition);
    if (share) share.values.push(i);
    else shares.set(partition, { key, values: [i] });
  });
  const routes = [...shares].map(([partition, { key, values }]) =>
    shares.size === 1 ? { partition, key } : { partition, key, values },
  );
  return { routes, maxEventTime };
}

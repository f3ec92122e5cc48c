import { DEFAULT_MAX_FUTURE_MS, type EventTimeSpec } from '../job/job-spec';
import { errorMessage } from '../util/error-message';
import { describeValue } from './describe-value';

/**
 * The event time of an element, or (a string) why it has none a task can use: the
 * function threw, the time is not a finite number, or it is further ahead of
 * processing time `now` than the source allows (not checked when `now` is undefined).
 * Such an element goes to the dead letters and must not move the watermark: one
 * record from the far future would make every on-time record after it late.
 */
export function eventTimeOf(
  spec: EventTimeSpec,
  value: unknown,
  now: number | undefined,
): number | string {
  let timestamp: unknown;
  try {
    timestamp = spec.timestamp(value);
  } catch (error) {
    return `event time function threw: ${errorMessage(error)}`;
  }
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    return `event time must be a finite number (epoch ms), got ${describeValue(timestamp)}`;
  }
  const maxFutureMs = spec.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  if (now !== undefined && timestamp - now > maxFutureMs) {
    return `event time ${timestamp} is ${timestamp - now} ms ahead of processing time ${now}, more than maxFutureMs (${maxFutureMs})`;
  }
  return timestamp;
}

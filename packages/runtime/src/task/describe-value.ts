/** A value for a dead-letter reason. JSON would say null for NaN and the infinities. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? String(value);
}

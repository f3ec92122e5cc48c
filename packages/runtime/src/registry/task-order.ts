/**
 * Task ids as listings show them: partitions in number order (`2` before `10`), then the
 * tasks of keyed stages (`<stage>/<n>`) by stage and number.
 */
export function byTaskId(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

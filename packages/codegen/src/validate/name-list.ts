/** Names as a diagnostic lists them: `"a", "b"`, or `none`. */
export function list(names: Iterable<string>): string {
  const all = [...names];
  return all.length > 0 ? all.map((n) => `"${n}"`).join(', ') : 'none';
}

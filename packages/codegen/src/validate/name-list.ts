/** Names as a diagnostic lists them: `"a", "b"`, or `none`. */
export function list(names: Iterable<string>): string {
  const all = [...names];
  return all.length > 0 ? all.map((n) => `"${n}"`).join(', ') : 'none';
}

/** The runtime's rule for state names and stage ids (validateStateName, checkJob). */
export const RUNTIME_NAME = /^[A-Za-z_][\w.-]*$/;

export const invalidName = (what: string, name: string) =>
  `${what} "${name}" is not valid: use letters, digits, '_', '.' or '-', starting with a letter or '_'`;

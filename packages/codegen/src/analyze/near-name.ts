/** Edit distance (insertions, deletions, substitutions; case-insensitive). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[y.length];
}

/**
 * The known name closest to a misspelt one, when it is close enough to be what was
 * meant (as compilers suggest: at most a third of the name's letters differ).
 */
export function nearName(wanted: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    if (name === wanted) continue;
    const d = distance(wanted, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  const limit = Math.floor(wanted.length / 3);
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean "x"?` when a known name is near, otherwise `fallback` (may be empty). */
export function didYouMean(
  wanted: string,
  known: Iterable<string>,
  fallback = '',
  quote = '"',
): string {
  const near = nearName(wanted, known);
  return near !== undefined ? `; did you mean ${quote}${near}${quote}?` : fallback;
}

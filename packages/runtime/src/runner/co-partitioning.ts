import { ConfigurationError } from '../util/errors';

/**
 * Task p reads partition p of every input of a keyed operator, so the inputs must have
 * the same partition count. `counts` names each input (`source clicks`, `topic t`); an
 * input with 0 partitions (a topic not created yet) is not compared.
 */
export function checkCoPartitioned(
  job: string,
  counts: ReadonlyArray<readonly [name: string, partitions: number]>,
): void {
  const known = counts.filter(([, n]) => n > 0);
  if (new Set(known.map(([, n]) => n)).size <= 1) return;
  throw new ConfigurationError(
    `job "${job}": the inputs of a keyed operator must be co-partitioned, but ` +
      known.map(([name, n]) => `${name} has ${n}`).join(', ') +
      ' partitions; give them the same partition count, partitioned by the same key',
  );
}

import { createHash } from 'node:crypto';
import type { JobSpec } from '../job/job-spec';

/**
 * The version of a job as generated: a hash of what its spec says in data (the names of
 * sources, stages, sinks and views, keys' partitioning, event-time bounds, windows,
 * error policy) and of its sinks, not of its functions, which a hash cannot see into.
 * Instances of one build have one version, so two in a listing means a rollout under
 * way (or one left behind). Taken before environment overrides, which change a run,
 * not the job.
 */
export function jobVersion(job: JobSpec, sinks: readonly string[]): string {
  const text = JSON.stringify(canonical({ job, sinks: [...sinks].sort() }));
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * Plain data with object keys sorted, so that the order in which generated code writes
 * a spec's fields does not change the hash; functions and class instances (a view's
 * cache, a client) are left out, as JSON.stringify leaves out functions.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v) ?? null);
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = canonical((value as Record<string, unknown>)[key]);
    if (field !== undefined) out[key] = field;
  }
  return out;
}

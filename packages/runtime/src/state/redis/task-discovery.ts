import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-scripts';

/**
 * Finds the tasks (and jobs) that have checkpoints in Redis by their head keys,
 * `<prefix>:{<job>:<task>}:head`, with SCAN: no registry to keep up to date, and it finds
 * what any version of the runtime wrote. SCAN walks one server's key space, so on a
 * Redis Cluster it runs on every master. It costs a pass over the key space (in steps
 * of 1000 keys, other clients go on between them): fine for an operator's command, not
 * for a hot path.
 */

/** Escapes the glob characters of SCAN MATCH. */
const glob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const servers: Redis[] = client.isCluster
    ? (client as Cluster).nodes('master')
    : [client as Redis];
  const found = new Set<string>();
  await Promise.all(
    servers.map(async (server) => {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        keys.forEach((key) => found.add(key));
        cursor = next;
      } while (cursor !== '0');
    }),
  );
  return [...found];
}

/** Numeric task ids (partitions) in number order, others after them by name. */
function byTask(a: string, b: string): number {
  const [x, y] = [Number(a), Number(b)];
  if (Number.isInteger(x) && Number.isInteger(y)) return x - y;
  if (Number.isInteger(x) !== Number.isInteger(y)) return Number.isInteger(x) ? -1 : 1;
  return a.localeCompare(b);
}

/** The ids of the tasks of `job` that have a head (ever checkpointed). */
export async function discoverTasks(
  client: RedisClient,
  prefix: string,
  job: string,
): Promise<string[]> {
  const start = `${prefix}:{${job}:`;
  const keys = await scanKeys(client, `${glob(start)}*}:head`);
  return keys.map((key) => key.slice(start.length, -'}:head'.length)).sort(byTask);
}

/** The names of the jobs that have tasks with a head under `prefix`. */
export async function discoverJobs(client: RedisClient, prefix: string): Promise<string[]> {
  const start = `${prefix}:{`;
  const keys = await scanKeys(client, `${glob(start)}*}:head`);
  const jobs = keys.map((key) => {
    const tag = key.slice(start.length, -'}:head'.length);
    return tag.slice(0, tag.lastIndexOf(':'));
  });
  return [...new Set(jobs)].filter((job) => job !== '').sort();
}

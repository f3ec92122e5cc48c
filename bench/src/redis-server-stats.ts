import type { Redis } from 'ioredis';

/** CPU time of the redis-server process and time spent per command, from INFO. */
export interface RedisServerStats {
  readonly cpuSeconds: number;
  /** Command name -> { calls, ms }; commands run inside Lua scripts are counted too. */
  readonly commands: Record<string, { calls: number; ms: number }>;
}

export async function redisServerStats(redis: Redis): Promise<RedisServerStats> {
  const [cpu, stats] = await Promise.all([redis.info('cpu'), redis.info('commandstats')]);
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  const commands: Record<string, { calls: number; ms: number }> = {};
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    commands[m[1]] = { calls: Number(m[2]), ms: Number(m[3]) / 1000 };
  }
  return { cpuSeconds: field('used_cpu_user') + field('used_cpu_sys'), commands };
}

/** What the server did between two snapshots: its CPU seconds and the busiest commands. */
export function redisServerDelta(
  from: RedisServerStats,
  to: RedisServerStats,
): { redisServerCpuSeconds: number; redisCommandMs: Record<string, number> } {
  const ms: Record<string, number> = {};
  for (const [name, now] of Object.entries(to.commands)) {
    const delta = now.ms - (from.commands[name]?.ms ?? 0);
    if (delta >= 1 && !['info', 'flushall', 'config|resetstat'].includes(name)) {
      ms[name] = Math.round(delta);
    }
  }
  return {
    redisServerCpuSeconds: Math.round((to.cpuSeconds - from.cpuSeconds) * 100) / 100,
    redisCommandMs: ms,
  };
}

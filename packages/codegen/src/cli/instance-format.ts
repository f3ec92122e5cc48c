import type { InstanceView } from '@stream-gen/runtime';

/** Text shapes shared by the registry commands' output (jobs, status). */

/** `0.4s`, `12s`, `3m 05s`, `2h 03m`, `4d 02h`: how long ago, to the precision that matters. */
export function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor(s / 3600) % 24)}h`;
}

/** Header of instance rows: who and where, which version, whether it heartbeats, then `extra`. */
export function instanceHeader(...extra: string[]): string[] {
  return ['instance', 'host', 'pid', 'version', 'state', 'heartbeat', ...extra];
}

export function instanceRow(i: InstanceView, ...extra: string[]): string[] {
  return [
    i.instance,
    i.host,
    String(i.pid),
    i.version,
    i.state,
    `${age(i.heartbeatAgeMs)} ago`,
    ...extra,
  ];
}

/** `2 instance(s): 1 running, 1 gone`. */
export function instanceCount(instances: readonly InstanceView[]): string {
  const states = ['running', 'stopped', 'gone'] as const;
  const counts = states
    .map((s) => [s, instances.filter((i) => i.state === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `${instances.length} instance(s)${counts.length > 0 ? `: ${counts.join(', ')}` : ''}`;
}

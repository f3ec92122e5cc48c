import * as os from 'node:os';

interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const b = times.user + times.nice + times.sys + times.irq;
    busy += b;
    total += b + times.idle;
  }
  return { busy, total };
}

/**
 * Cores kept busy over `ms` while the bench itself is idle (between workloads): load
 * from other processes of the machine, which makes the next measurement slower.
 */
export async function foreignLoad(ms = 1000): Promise<number> {
  const from = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const to = cpuTimes();
  const cores = os.cpus().length;
  return ((to.busy - from.busy) / Math.max(1, to.total - from.total)) * cores;
}

/** Waits (up to `maxMs`) until other processes use less than `threshold` cores; returns the last sample. */
export async function waitForQuiet(maxMs: number, threshold = 0.25): Promise<number> {
  const deadline = Date.now() + maxMs;
  let load = await foreignLoad();
  while (load >= threshold && Date.now() < deadline) load = await foreignLoad();
  return load;
}

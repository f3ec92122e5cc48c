import type { RedisCommand } from '../connectors/view-cache/view-cache-scripts';
import type { RedisClient } from '../state/redis/redis-scripts';
import type { InstanceRecord } from './instance-record';

/** How long the record of an instance that stopped heartbeating is kept (and a job with none left listed), ms. */
export const KEEP_GONE_MS = 3_600_000;

/** The instances of one job, oldest start first. */
export interface JobInstances {
  readonly job: string;
  readonly instances: readonly InstanceRecord[];
}

/**
 * Which processes run which jobs, in the Redis the jobs keep their state in (Flink's
 * job manager view, without a job manager: each process writes its own record).
 *
 * - `<prefix>:instances:{<job>}`: hash, field = instance id, value = the
 *   {@link InstanceRecord} JSON, rewritten at every heartbeat. Its hash tag is the one
 *   of `<prefix>:owners:{<job>}` (task owners), so a heartbeat's writes of a job are in
 *   one Cluster slot. The hash expires {@link KEEP_GONE_MS} after the last heartbeat of
 *   any of its instances; a record gone that long is dropped by the others' heartbeats.
 * - `<prefix>:jobs`: sorted set, member = job name, score = the latest heartbeat of any
 *   of its instances; names without a heartbeat for {@link KEEP_GONE_MS} are dropped.
 *
 * Writing is commands for the caller to send with the rest of its heartbeat; reading
 * is for operators' commands and dashboards.
 */
export class InstanceRegistry {
  readonly jobsKey: string;

  constructor(
    private readonly client: RedisClient,
    readonly keyPrefix: string,
  ) {
    this.jobsKey = `${keyPrefix}:jobs`;
  }

  instancesKey(job: string): string {
    return `${this.keyPrefix}:instances:{${job}}`;
  }

  /** The commands of one heartbeat of `record` (its `lastHeartbeat` is now). */
  beat(record: InstanceRecord): RedisCommand[] {
    const key = this.instancesKey(record.job);
    const now = record.lastHeartbeat;
    return [
      ['HSET', key, record.instance, JSON.stringify(record)],
      ['PEXPIRE', key, String(KEEP_GONE_MS)],
      ['ZADD', this.jobsKey, String(now), record.job],
      ['ZREMRANGEBYSCORE', this.jobsKey, '-inf', `(${now - KEEP_GONE_MS}`],
    ];
  }

  /** Drops the records of `job` whose last heartbeat is older than {@link KEEP_GONE_MS}; returns their ids. */
  async prune(job: string, now: number): Promise<string[]> {
    const stale = (await this.instances(job))
      .filter((r) => now - r.lastHeartbeat > KEEP_GONE_MS)
      .map((r) => r.instance);
    if (stale.length > 0) await this.client.call('HDEL', [this.instancesKey(job), ...stale]);
    return stale;
  }

  /** The jobs heartbeating (or gone for less than {@link KEEP_GONE_MS}), by name, with their instances. */
  async jobs(): Promise<JobInstances[]> {
    const names = (await this.client.zrange(this.jobsKey, 0, -1)).sort();
    const found = await Promise.all(
      names.map(async (job) => ({ job, instances: await this.instances(job) })),
    );
    return found.filter((j) => j.instances.length > 0);
  }

  /** The instances of `job`, oldest start first; none when it never ran (or not for long). */
  async instances(job: string): Promise<InstanceRecord[]> {
    return records(await this.client.hgetall(this.instancesKey(job)));
  }
}

/** The values of an instances hash, parsed and by start; a field that is not a record is skipped. */
function records(fields: Readonly<Record<string, string>>): InstanceRecord[] {
  const out: InstanceRecord[] = [];
  for (const text of Object.values(fields)) {
    try {
      const record = JSON.parse(text) as InstanceRecord;
      if (typeof record.lastHeartbeat === 'number') out.push(record);
    } catch {
      // written by something else: not ours to show
    }
  }
  return out.sort((a, b) => a.startedAt - b.startedAt || a.instance.localeCompare(b.instance));
}

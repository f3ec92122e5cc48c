import type { RedisCommand } from '../connectors/view-cache/view-cache-scripts';
import type { RedisClient } from '../state/redis/redis-scripts';

/** Who runs a task now, as the registry holds it. */
export interface TaskOwner {
  /** The base URL of its HTTP port (`STREAM_GEN_ADVERTISED_URL`). */
  readonly url: string;
  /** The process (one per start). */
  readonly instance: string;
  /** Processing time (epoch ms) after which the entry no longer counts: the owner stopped announcing. */
  readonly until: number;
}

/** What announces a process's tasks: commands to send, and what to call once they went through. */
export interface Announcement {
  readonly commands: readonly RedisCommand[];
  confirm(): void;
}

/** KEYS[1] the registry; ARGV[1] the instance, ARGV[2..] tasks: deletes each whose entry names the instance. */
const RELEASE = `
local released = 0
for i = 2, #ARGV do
  local entry = redis.call('HGET', KEYS[1], ARGV[i])
  if entry then
    local ok, owner = pcall(cjson.decode, entry)
    if ok and type(owner) == 'table' and owner.instance == ARGV[1] then
      redis.call('HDEL', KEYS[1], ARGV[i])
      released = released + 1
    end
  end
end
return released
`;

/**
 * Which process runs each task of a job, in the state's Redis, so that a process asked
 * for a key of a task it does not run forwards the query to the one that does (Kafka
 * Streams' `application.server` metadata). One hash per job, `<prefix>:owners:{<job>}`:
 * field = task id, value = the {@link TaskOwner} JSON. Each process announces the tasks
 * it runs every second or so with an expiry a few announcements ahead, and releases
 * those it gave up (only where the entry still names it: the new owner may have
 * announced already), all of them as it stops. A process that died stops announcing:
 * its entries expire.
 */
export class TaskOwners {
  private readonly key: string;
  private announced = new Set<string>();

  constructor(
    private readonly client: RedisClient,
    keyPrefix: string,
    job: string,
    readonly instance: string,
    readonly url: string,
  ) {
    this.key = `${keyPrefix}:owners:{${job}}`;
  }

  /**
   * The commands that announce `tasks` as this process's until `until` and release what
   * it announced before and no longer runs (sent with the process's heartbeat, see
   * `registry/instance-heartbeat.ts`); `confirm` once they went through, so that a
   * release that failed is sent again with the next announcement.
   */
  announcement(tasks: readonly string[], until: number): Announcement {
    const now = new Set(tasks);
    const gone = [...this.announced].filter((t) => !now.has(t));
    const entry = JSON.stringify({ url: this.url, instance: this.instance, until });
    const commands: RedisCommand[] = [];
    if (tasks.length > 0) commands.push(['HSET', this.key, ...tasks.flatMap((t) => [t, entry])]);
    // EVAL, not EVALSHA: a release is rare (a rebalance, a stop), and a pipeline cannot fall back on NOSCRIPT
    if (gone.length > 0) {
      commands.push(['EVAL', RELEASE, '1', this.key, this.instance, ...gone]);
    }
    return { commands, confirm: () => (this.announced = now) };
  }

  /** The owner of a task, unless none announced it or its entry expired. */
  async owner(task: string, now: number): Promise<TaskOwner | undefined> {
    const text = (await this.client.call('HGET', [this.key, task])) as string | null;
    if (!text) return undefined;
    try {
      const owner = JSON.parse(text) as TaskOwner;
      return owner.until > now ? owner : undefined;
    } catch {
      return undefined;
    }
  }
}

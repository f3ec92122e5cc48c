import type { Cluster, Redis } from 'ioredis';
import { redisClient } from '../runner/redis-client';
import type { RedisTarget } from '../runner/redis-target';
import type { ScriptTextSource } from './script-source';

/**
 * A script kept in a Redis key (the talk's `DynamicConfig("x.script")`): its value is the
 * script's text. A check is one GET, so a dynamic script polls it (every second unless
 * told), not at every batch. There is no cheaper "changed" than the text itself: the
 * script compares versions.
 */
export class RedisScriptSource implements ScriptTextSource {
  readonly name: string;
  readonly typescript: boolean;
  readonly defaultPollMs = 1000;
  private client: Redis | Cluster | undefined;

  constructor(
    private readonly key: string,
    private readonly target: RedisTarget,
  ) {
    this.name = `Redis key "${key}"`;
    this.typescript = key.endsWith('.ts');
  }

  async read(): Promise<string> {
    const text = await this.connection().get(this.key);
    if (text === null) {
      throw new Error(
        `Redis at ${this.target.display} has no key "${this.key}": SET it to the script's text`,
      );
    }
    return text;
  }

  changed(): Promise<string | undefined> {
    return this.read();
  }

  close(): void {
    this.client?.disconnect();
    this.client = undefined;
  }

  private connection(): Redis | Cluster {
    if (this.client) return this.client;
    const client = redisClient(this.target, {
      retry: (attempt) => Math.min(attempt * 200, 2000),
      // a read fails while Redis is away: at start that is the error, later the version goes on
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
    });
    // a failed command says why; the connection's own errors would only repeat it
    client.on('error', () => undefined);
    return (this.client = client);
  }
}

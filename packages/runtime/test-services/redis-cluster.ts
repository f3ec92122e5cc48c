/**
 * A Redis Cluster of `masters` redis-server processes on free loopback ports, for tests
 * of what must work on a Cluster too. The slots are assigned and the nodes introduced
 * with CLUSTER ADDSLOTSRANGE / CLUSTER MEET (no redis-cli needed). No test-framework
 * dependency.
 *
 *   const cluster = await startRedisCluster(3);   // { client: ioredis Cluster, ports, stop() }
 *   const secured = await startRedisCluster(3, { password: 's3cret' }); // every node requires it
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './services';

export interface RedisCluster {
  readonly client: Cluster;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** `requirepass` of every node (its default user); the returned client uses it. */
  readonly password?: string;
}

const SLOTS = 16384;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await pause(50)) {
    if (await ok().catch(() => false)) return;
  }
  throw new Error(`Redis Cluster: ${what} within ${ms} ms`);
}

export async function startRedisCluster(
  masters = 3,
  options: RedisClusterOptions = {},
): Promise<RedisCluster> {
  const { password } = options;
  const auth = password === undefined ? [] : ['--requirepass', password, '--masterauth', password];
  const dir = mkdtempSync(join(tmpdir(), 'stream-gen-cluster-'));
  const children: ChildProcess[] = [];
  const nodes: Redis[] = [];
  let client: Cluster | undefined;
  const stop = async () => {
    client?.disconnect();
    nodes.forEach((n) => n.disconnect());
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      // prettier-ignore
      const child = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir,
        ...auth,
      ], { stdio: 'ignore' });
      children.push(child);
      ports.push(port);
      const node = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        retryStrategy: () => 50,
        password,
      });
      node.on('error', () => undefined);
      nodes.push(node);
    }
    await Promise.all(
      nodes.map((n, i) =>
        until(`node ${ports[i]} answers`, async () => (await n.ping()) === 'PONG'),
      ),
    );
    const per = Math.ceil(SLOTS / masters);
    await Promise.all(
      nodes.map((n, i) =>
        n.call('CLUSTER', [
          'ADDSLOTSRANGE',
          String(i * per),
          String(Math.min(SLOTS, (i + 1) * per) - 1),
        ]),
      ),
    );
    for (const port of ports.slice(1))
      await nodes[0].call('CLUSTER', ['MEET', '127.0.0.1', String(port)]);
    await Promise.all(
      nodes.map((n, i) =>
        until(`node ${ports[i]} reaches cluster_state:ok`, async () =>
          String(await n.call('CLUSTER', ['INFO'])).includes('cluster_state:ok'),
        ),
      ),
    );
    client = new Cluster([{ host: '127.0.0.1', port: ports[0] }], { redisOptions: { password } });
    await until('the client sees every master', async () => {
      await client?.ping();
      return client?.nodes('master').length === masters;
    });
    return { client, ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The keys matching `pattern` on each master (`host:port` -> keys, sorted): where a
 * Cluster really keeps them, which a command through the client does not tell.
 */
export async function keysPerMaster(
  client: Cluster,
  pattern: string,
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const node of client.nodes('master')) {
    out[`${node.options.host}:${node.options.port}`] = (await node.keys(pattern)).sort();
  }
  return out;
}

/**
 * A redis-server that keeps its data on disk (append-only file, fsync on every
 * write), so a test can stop it and start it again on the same port with the same
 * data: an outage, not a loss.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './services';

export class RestartableRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RestartableRedis> {
    const redis = new RestartableRedis(
      await freePort(),
      fs.mkdtempSync(path.join(os.tmpdir(), 'stream-gen-redis-aof-')),
    );
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) and resolves once it accepts commands. */
  async up(): Promise<void> {
    // prettier-ignore
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--loglevel', 'warning',
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    process.once('exit', () => child.kill('SIGKILL'));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ping = spawn('redis-cli', ['-p', String(this.port), 'ping'], { stdio: 'pipe' });
      const out = await new Promise<string>((resolve) => {
        let text = '';
        ping.stdout.on('data', (d: Buffer) => (text += d.toString()));
        ping.once('exit', () => resolve(text.trim()));
      });
      if (out === 'PONG') return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM: redis-server flushes its append-only file and exits. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async stop(): Promise<void> {
    await this.down();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A generated job's main file run as its own Node process, the way it runs in
 * production: for tests that stop it (SIGTERM), kill it (SIGKILL) and start it
 * again. No test-framework dependency.
 *
 *   const job = startJobProcess(mainJs, { env: { KAFKA_BROKERS, REDIS_URL } });
 *   await job.waitForLog(/started/);
 *   await job.kill();            // kill -9
 *   const code = await job.stop(); // SIGTERM, resolves to the exit code
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface JobProcess {
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves once the output matches `pattern` (rejects after `timeoutMs` or on exit). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code or the signal that ended it (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | NodeJS.Signals | null>;
  /** SIGKILL: no final checkpoint, nothing flushed. */
  kill(): Promise<void>;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited(): Promise<number | NodeJS.Signals | null>;
  /** GET /health of the job (started with STREAM_GEN_HTTP_PORT=0, which this sets). */
  health(): Promise<JobHealth>;
}

export interface JobHealth {
  readonly status: string;
  readonly tasks: ReadonlyArray<{
    task: string;
    watermark: number;
    positions: Record<string, number>;
    checkpoint: number;
  }>;
}

const live = new Set<ChildProcess>();
let hooked = false;

export function startJobProcess(
  mainJs: string,
  options: { env?: NodeJS.ProcessEnv; args?: readonly string[]; echo?: boolean } = {},
): JobProcess {
  const child = spawn(process.execPath, [mainJs, ...(options.args ?? [])], {
    env: { ...process.env, STREAM_GEN_HTTP_PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => live.forEach((c) => c.kill('SIGKILL')));
  }
  let out = '';
  const watchers = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    if (options.echo) process.stderr.write(d);
    watchers.forEach((w) => w());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      watchers.forEach((w) => w());
      resolve(code ?? signal);
    }),
  );
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid!,
    output: () => out,
    waitForLog(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no log line matched ${pattern} within ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        const check = () => {
          if (pattern.test(out)) {
            clearTimeout(timer);
            watchers.delete(check);
            resolve();
          } else if (ended()) {
            clearTimeout(timer);
            watchers.delete(check);
            reject(
              new Error(
                `the job exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}`,
              ),
            );
          }
        };
        watchers.add(check);
        check();
      });
    },
    async stop(graceMs = 20_000) {
      if (!ended()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (!ended()) child.kill('SIGKILL');
      await exit;
    },
    exited: () => exit,
    async health() {
      const port = /status on http:\/\/localhost:(\d+)\/health/.exec(out)?.[1];
      if (!port) throw new Error(`the job has not logged its status port yet:\n${out}`);
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      return (await res.json()) as JobHealth;
    },
  };
}

import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobMessage, JobReport, JobRequest, StopMessage } from './protocol';

const JOB_PROCESS = path.join(__dirname, 'job-process.js');

/**
 * The Node flags `stream-gen run` starts a job with (a 64 MB young generation, see
 * packages/codegen/src/cli/run.command.ts), so job processes run as users run jobs.
 * NODE_OPTIONS wins there, and here.
 */
const JOB_NODE_FLAGS = /--max-semi-space-size/.test(process.env.NODE_OPTIONS ?? '')
  ? []
  : ['--max-semi-space-size=64'];

export interface RunJobOptions {
  /** Write a V8 CPU profile of the job process to `<dir>/<name>.cpuprofile`. */
  readonly profile?: { readonly dir: string; readonly name: string };
  /** Called when the job owns its partitions. */
  readonly onReady?: () => void;
  /** Resolving it ends an open-ended run. */
  readonly stop?: Promise<void>;
  /** Fails the run when the job process takes longer (default 10 min). */
  readonly timeoutMs?: number;
}

/** Runs one workload's job in its own Node process and resolves with its report. */
export function runJob(request: JobRequest, options: RunJobOptions = {}): Promise<JobReport> {
  const execArgv = [...JOB_NODE_FLAGS];
  if (options.profile) {
    fs.mkdirSync(options.profile.dir, { recursive: true });
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${options.profile.dir}`,
      `--cpu-prof-name=${options.profile.name}.cpuprofile`,
    );
  }
  const child = fork(JOB_PROCESS, [JSON.stringify(request)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<JobReport>((resolve, reject) => {
    let report: JobReport | undefined;
    let failure: string | undefined;
    const timer = setTimeout(() => {
      failure = `timed out after ${options.timeoutMs ?? 600_000} ms`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 600_000);
    void options.stop?.then(() => {
      if (child.connected) child.send({ type: 'stop' } satisfies StopMessage);
    });
    child.on('message', (message: JobMessage) => {
      if (message.type === 'ready') options.onReady?.();
      else if (message.type === 'report') report = message.report;
      else failure = message.message;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (report && code === 0) resolve(report);
      else {
        const why = failure ?? `exited with ${signal ?? `code ${code}`} without a report`;
        reject(new Error(`${request.workload}: ${why}`));
      }
    });
  });
}

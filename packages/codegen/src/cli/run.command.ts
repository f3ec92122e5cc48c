import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { generate, jobFiles, routerFiles, writeGenerated } from '../generate';
import { formatDiagnostics } from '../model/format-diagnostics';
import { UsageFailure } from './args';
import type { Command } from './command';
import { projectDir } from './project-dir';

export const runCommand: Command = {
  name: 'run',
  summary:
    'generate, build and run a job or a router (embedded unless KAFKA_BROKERS/REDIS_URL are set)',
  usage: `stream-gen run <Job|Router> [--project <dir>] [--source <name>=<file.jsonl>]... [--sink <name>=<file.jsonl>]...

Regenerates the project's runner modules, builds it with its tsconfig.json, and
starts the job. With every source bound to a JSON-lines file the run is bounded: it
ends when the files are read and every timer has fired, and exits 0. Sinks not
bound to a file are logged (dead letters with their reason). Files are read a record
at a time, one from each file in turn, and the watermark moves after each record, so
lateness and timers come out as a live stream delivering the records in that order
would give them. Without files the job reads and writes topics named after its
sources and sinks, on the embedded log unless KAFKA_BROKERS is set.

  --project <dir>     the project (default: the current directory)
  --batch-size <n>    records read from a file per batch (default 1); the watermark
                      moves after each batch, so a larger one is faster but lets a
                      record out of order within its batch pass as on time
                      (STREAM_GEN_FILE_BATCH_SIZE)
Example:
  npx stream-gen run ImpressionJoin --project samples/impression-join \\
    --source impressions=a.jsonl --source plays=b.jsonl \\
    --sink conversions=out.jsonl --sink late=late.jsonl`,
  args: { valued: ['project', 'source', 'sink', 'batch-size'], positionals: 1 },
  async run(args, io) {
    const [jobName] = args.positionals;
    if (!jobName) throw new UsageFailure('name the job to run, e.g. stream-gen run ImpressionJoin');
    const childEnv = batchSizeEnv(args.options['batch-size']?.at(-1));
    const dir = projectDir(args);
    const result = generate(dir);
    if (result.diagnostics.length > 0) {
      io.err(formatDiagnostics(result.diagnostics));
      return 1;
    }
    const job = result.analysis.jobs.find((j) => j.graph.name === jobName);
    const router = result.analysis.routers.find((r) => r.config.name === jobName);
    if (!job && !router) {
      const routers = result.analysis.routers.map((r) => r.config.name);
      io.err(
        `no job "${jobName}" in ${dir} (jobs: ${result.analysis.jobs.map((j) => j.graph.name).join(', ') || 'none'}` +
          `${routers.length > 0 ? `; routers: ${routers.join(', ')}` : ''})`,
      );
      return 1;
    }
    writeGenerated(result);
    const built = spawnSync(process.execPath, [tscPath(dir), '-b', dir], { stdio: 'inherit' });
    if (built.status !== 0) {
      io.err(`building ${dir} failed (tsc -b exited ${built.status}); fix the errors above`);
      return 1;
    }
    const entry = compiledPath(
      result.analysis.project.getCompilerOptions(),
      dir,
      job ? jobFiles(dir, jobName).main : routerFiles(dir, jobName).main,
    );
    if (!existsSync(entry)) {
      io.err(
        `the build did not produce ${relative(process.cwd(), entry)}; does tsconfig.json compile src/ to an outDir?`,
      );
      return 1;
    }
    const bindings = [
      ...(args.options.source ?? []).flatMap((b) => ['--source', resolveBinding(b)]),
      ...(args.options.sink ?? []).flatMap((b) => ['--sink', resolveBinding(b)]),
    ];
    return runChild(entry, bindings, childEnv);
  },
};

function tscPath(dir: string): string {
  return require.resolve('typescript/bin/tsc', { paths: [dir, __dirname] });
}

/** Where tsc puts the JavaScript of `file` under the project's outDir/rootDir. */
function compiledPath(
  options: { outDir?: string; rootDir?: string },
  dir: string,
  file: string,
): string {
  const outDir = resolve(dir, options.outDir ?? 'dist');
  const rootDir = resolve(dir, options.rootDir ?? 'src');
  return join(outDir, relative(rootDir, file)).replace(/\.ts$/, '.js');
}

/** `--batch-size <n>` as the runner's setting; checked here so a typo is a usage error. */
function batchSizeEnv(value: string | undefined): NodeJS.ProcessEnv {
  if (value === undefined) return {};
  if (!/^[1-9]\d*$/.test(value)) {
    throw new UsageFailure(`--batch-size must be a whole number of records >= 1, got "${value}"`);
  }
  return { STREAM_GEN_FILE_BATCH_SIZE: value };
}

/** Makes the file of `name=file` absolute, since the child runs from the same cwd anyway. */
function resolveBinding(binding: string): string {
  const match = /^([^=]+)=(.+)$/.exec(binding);
  if (!match) throw new UsageFailure(`expected <name>=<file.jsonl>, got "${binding}"`);
  return `${match[1]}=${resolve(match[2])}`;
}

/** Runs the job in a child process; SIGINT/SIGTERM go to it, so it stops with a final checkpoint. */
/**
 * A young generation of 64 MB: a stream job allocates a little per record and keeps
 * most of it briefly, and with V8's default (16 MB) the garbage collector took about
 * a third of the embedded join's time (see bench/README.md). NODE_OPTIONS wins.
 */
const NODE_FLAGS = ['--max-semi-space-size=64'];
/** isolated-vm (a router's script sandbox) wants Node 20+ without its startup snapshot. */
const SANDBOX_FLAGS = ['--no-node-snapshot'];

function runChild(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done) => {
    const options = process.env.NODE_OPTIONS ?? '';
    const flags = [
      ...(/--max-semi-space-size/.test(options) ? [] : NODE_FLAGS),
      ...(/--no-node-snapshot/.test(options) ? [] : SANDBOX_FLAGS),
    ];
    const child = spawn(process.execPath, [...flags, entry, ...args], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      done(code ?? (signal ? 128 + 15 : 1));
    });
  });
}

import type { CheckpointAdmin } from '@stream-gen/runtime';
import { analyzeProject, loadProject } from '../analyze/analyze-project';
import { formatDiagnostics } from '../model/format-diagnostics';
import { UsageFailure, type ParsedArgs } from './args';
import type { Output } from './command';
import { projectDir } from './project-dir';

/**
 * What the checkpoint commands (checkpoints, savepoint, rewind) share: the job name
 * (as given: Redis is the truth about which jobs have checkpoints, and an unknown name
 * is answered with the jobs it has; with --project, the name is first checked against
 * the project's jobs), and a {@link CheckpointAdmin} on REDIS_URL and
 * STREAM_GEN_NAMESPACE. The runtime is loaded only when such a command runs, so the
 * other commands do not load the Redis and Kafka clients.
 * Returns the exit code: `use`'s, or 1 when --project has no such job.
 */
export async function withJobAdmin(
  command: string,
  args: ParsedArgs,
  io: Output,
  use: (admin: CheckpointAdmin, job: string) => Promise<number>,
): Promise<number> {
  const [job] = args.positionals;
  if (!job) throw new UsageFailure(`name the job, e.g. stream-gen ${command} ImpressionJoin`);
  if (args.options.project && !inProject(job, projectDir(args), io)) return 1;
  const { withCheckpointAdmin } = await import('@stream-gen/runtime');
  return withCheckpointAdmin(process.env, (admin) => use(admin, job));
}

function inProject(job: string, dir: string, io: Output): boolean {
  const analysis = analyzeProject(loadProject(dir), dir);
  if (analysis.diagnostics.length > 0) {
    io.err(formatDiagnostics(analysis.diagnostics));
    return false;
  }
  const jobs = analysis.jobs.map((j) => j.graph.name);
  if (jobs.includes(job)) return true;
  io.err(`no job "${job}" in ${dir} (jobs: ${jobs.join(', ') || 'none'})`);
  return false;
}

/** Runs `parse`; what it rejects is a command-line mistake (exit 2, with the usage). */
export function usageChecked<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageFailure(error instanceof Error ? error.message : String(error));
  }
}

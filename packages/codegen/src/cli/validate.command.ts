import { analyzeProject, loadProject } from '../analyze/analyze-project';
import { formatDiagnostics } from '../model/format-diagnostics';
import type { Command } from './command';
import { projectDir } from './project-dir';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check the decorated job classes and the router files, and print every diagnostic',
  usage: `stream-gen validate [--project <dir>]

Checks every @StreamJob class under <dir>/src and every router file
(src/**/*.router.yaml, its expressions type-checked against the source type).
Prints each misuse as path:line:col - error SGnnnn: message, with a code frame,
all at once; exits 1 when there is any.

  --project <dir>  the project (default: the current directory)
Example:
  npx stream-gen validate --project samples/impression-join`,
  args: { valued: ['project'] },
  async run(args, io) {
    const dir = projectDir(args);
    const analysis = analyzeProject(loadProject(dir), dir);
    if (analysis.diagnostics.length > 0) {
      io.err(formatDiagnostics(analysis.diagnostics));
      return 1;
    }
    io.out(
      `${analysis.jobs.length} job(s) valid: ${analysis.jobs.map((j) => j.graph.name).join(', ') || 'none'}`,
    );
    if (analysis.routers.length > 0) {
      io.out(
        `${analysis.routers.length} router(s) valid: ${analysis.routers.map((r) => r.config.name).join(', ')}`,
      );
    }
    return 0;
  },
};

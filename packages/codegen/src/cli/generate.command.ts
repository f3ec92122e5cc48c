import { relative } from 'node:path';
import { checkGenerated, generate, writeGenerated } from '../generate';
import { formatDiagnostics } from '../model/format-diagnostics';
import type { Command } from './command';
import { projectDir } from './project-dir';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'validate the jobs and write their *.generated.ts runner modules',
  usage: `stream-gen generate [--project <dir>] [--check]

Reads every @StreamJob class under <dir>/src, validates it, and writes per job
src/generated/<job>.{validators,runner,main}.generated.ts.
  --check   write nothing; exit 1 when a generated file is missing, stale or orphaned

  --project <dir>  the project (default: the current directory)
Example:
  npx stream-gen generate --project samples/impression-join --check`,
  args: { booleans: ['check'], valued: ['project'] },
  async run(args, io) {
    const dir = projectDir(args);
    const result = generate(dir);
    if (result.diagnostics.length > 0) {
      io.err(formatDiagnostics(result.diagnostics));
      return 1;
    }
    if (result.analysis.jobs.length === 0 && result.analysis.routers.length === 0) {
      io.err(
        `no @StreamJob class or router file (*.router.yaml) found under ${relative(process.cwd(), dir) || '.'}/src`,
      );
      return 1;
    }
    const rel = (p: string) => relative(process.cwd(), p);
    if (args.flags.has('check')) {
      const drift = checkGenerated(result);
      const problems = [
        ...drift.missing.map((p) => `missing: ${rel(p)}`),
        ...drift.stale.map((p) => `stale: ${rel(p)}`),
        ...drift.orphaned.map((p) => `orphaned (no job or router produces it): ${rel(p)}`),
      ];
      if (problems.length > 0) {
        io.err(
          `generated files are out of date; run 'stream-gen generate --project ${rel(dir) || '.'}':\n  ${problems.join('\n  ')}`,
        );
        return 1;
      }
      io.out(
        `generated files are up to date (${result.files.length} files, ${result.analysis.jobs.length} job(s)` +
          `${result.analysis.routers.length > 0 ? `, ${result.analysis.routers.length} router(s)` : ''})`,
      );
      return 0;
    }
    const { written, unchanged, deleted } = writeGenerated(result);
    for (const path of deleted)
      io.out(`deleted ${rel(path)} (no job or router produces it any more)`);
    for (const path of written) io.out(`wrote ${rel(path)}`);
    for (const path of unchanged) io.out(`unchanged ${rel(path)}`);
    return 0;
  },
};

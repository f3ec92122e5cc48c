import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Project, type ClassDeclaration } from 'ts-morph';
import type { Diagnostic } from '../model/diagnostic';
import { analyzeRouters, readRouterFiles, type RouterAnalysis } from '../router/analyze-routers';
import { validateJobs } from '../validate/validate-jobs';
import { DiagnosticsSink } from './diagnostics-sink';
import { analyzeJobClass, type JobAnalysis } from './job-class';

export interface ProjectAnalysis {
  readonly project: Project;
  readonly root: string;
  readonly jobs: readonly JobAnalysis[];
  /** The router files (`src/**\/*.router.yaml`) that check. */
  readonly routers: readonly RouterAnalysis[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Loads a user project: its tsconfig.json when there is one, else every `src/**\/*.ts`.
 * Generated files are left out: they are the output, not the input.
 */
export function loadProject(dir: string): Project {
  const root = resolve(dir);
  const tsconfig = join(root, 'tsconfig.json');
  const project = existsSync(tsconfig)
    ? new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true })
    : new Project({ compilerOptions: { strict: true, experimentalDecorators: true } });
  project.addSourceFilesAtPaths([
    join(root, 'src/**/*.ts'),
    `!${join(root, 'src/**/*.generated.ts')}`,
    `!${join(root, '**/node_modules/**')}`,
  ]);
  return project;
}

/**
 * Finds every @StreamJob class, reads it, and validates the jobs together; then reads
 * and type-checks the router files (`routerFiles`: path to text, by default those
 * under the project's `src/`).
 */
export function analyzeProject(
  project: Project,
  root: string,
  routerFiles: ReadonlyMap<string, string> = readRouterFiles(resolve(root)),
): ProjectAnalysis {
  const sink = new DiagnosticsSink();
  const jobs = findJobClasses(project).map((cls) => analyzeJobClass(cls, sink));
  validateJobs(
    jobs.map((j) => j.graph),
    sink,
  );
  const routers = analyzeRouters(project, routerFiles, sink, resolve(root));
  const diagnostics = [...sink.diagnostics].sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      a.location.line - b.location.line ||
      a.location.column - b.location.column,
  );
  return { project, root: resolve(root), jobs, routers, diagnostics };
}

function findJobClasses(project: Project): ClassDeclaration[] {
  const classes: ClassDeclaration[] = [];
  for (const file of project.getSourceFiles()) {
    if (file.getFilePath().endsWith('.generated.ts') || file.isDeclarationFile()) continue;
    for (const cls of file.getClasses()) {
      if (cls.getDecorators().some((d) => d.getName() === 'StreamJob')) classes.push(cls);
    }
  }
  return classes.sort((a, b) => (a.getName() ?? '').localeCompare(b.getName() ?? ''));
}

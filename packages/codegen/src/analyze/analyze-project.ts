import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Project, type ClassDeclaration } from 'ts-morph';
import type { Diagnostic } from '../model/diagnostic';
import { analyzeRouters, readRouterFiles, type RouterAnalysis } from '../router/analyze-routers';
import { kebabCase } from '../emit/naming';
import { validateJobs } from '../validate/validate-jobs';
import { validateScriptStages } from '../validate/validate-script-stages';
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
  for (const job of jobs) validateScriptStages(job.graph, resolve(root), sink);
  const routers = analyzeRouters(project, routerFiles, sink, resolve(root));
  // a router and a job of one name would write the same generated main
  const jobNames = new Set(jobs.map((j) => kebabCase(j.graph.name)));
  for (const router of routers) {
    if (jobNames.has(kebabCase(router.config.name))) {
      sink.reportAt(
        'SG3006',
        `router name "${router.config.name}" is a job's too: their generated files would be one`,
        router.config.location,
      );
    }
  }
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

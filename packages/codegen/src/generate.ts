import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { analyzeProject, loadProject, type ProjectAnalysis } from './analyze/analyze-project';
import type { JobAnalysis } from './analyze/job-class';
import type { GeneratedFile } from './emit/generated-file';
import { emitMain } from './emit/main.emitter';
import { kebabCase } from './emit/naming';
import { emitRunnerModule } from './emit/runner-module.emitter';
import { emitValidators } from './emit/validators.emitter';
import type { Diagnostic } from './model/diagnostic';
import { emitRouter, type RouterPaths } from './router/router.emitter';
import { emittedDirOf } from './router/emitted-location';
import { projectDirArgs } from './emit/project-dir';

export interface GenerationResult {
  readonly analysis: ProjectAnalysis;
  /** Empty when there are diagnostics: nothing is generated from an invalid project. */
  readonly files: readonly GeneratedFile[];
  readonly diagnostics: readonly Diagnostic[];
  readonly generatedDir: string;
}

/** Where generated files go in a project. */
export const generatedDirOf = (root: string) => join(root, 'src', 'generated');

/** Per job: the files' paths. */
export function jobFiles(root: string, jobName: string) {
  const base = join(generatedDirOf(root), kebabCase(jobName));
  return {
    validators: `${base}.validators.generated.ts`,
    runner: `${base}.runner.generated.ts`,
    main: `${base}.main.generated.ts`,
  };
}

/** Per router: the paths of its files. */
export function routerFiles(root: string, routerName: string): RouterPaths {
  const base = join(generatedDirOf(root), kebabCase(routerName));
  return { router: `${base}.router.generated.ts`, main: `${base}.main.generated.ts` };
}

/** Analyzes, validates and, when the project is valid, emits every job's and router's files (in memory). */
export function generate(dir: string): GenerationResult {
  const analysis = analyzeProject(loadProject(dir), dir);
  const generatedDir = generatedDirOf(analysis.root);
  if (analysis.diagnostics.length > 0) {
    return { analysis, files: [], diagnostics: analysis.diagnostics, generatedDir };
  }
  const emittedDir = emittedDirOf(analysis.project);
  const files = [
    ...analysis.jobs.flatMap((job) => emitJob(analysis.root, job, emittedDir)),
    ...analysis.routers
      .map((router) => {
        const label = relative(analysis.root, router.config.file).replace(/\\/g, '/');
        return emitRouter(router, routerFiles(analysis.root, router.config.name), label);
      })
      .flat(),
  ];
  return { analysis, files, diagnostics: [], generatedDir };
}

function emitJob(
  root: string,
  job: JobAnalysis,
  emittedDir: (sourceDir: string) => string,
): GeneratedFile[] {
  const paths = jobFiles(root, job.graph.name);
  const sourceLabel = relative(root, job.graph.classModule).replace(/\\/g, '/');
  const validators = emitValidators(job, paths.validators, sourceLabel);
  const graph = {
    ...job.graph,
    sources: job.graph.sources.map((s) => ({ ...s, validatorName: validators.names.get(s.name) })),
    stages: job.graph.stages.map((s) =>
      s.script
        ? { ...s, script: { ...s.script, validatorName: validators.scriptNames.get(s.id) } }
        : s,
    ),
  };
  return [
    validators.file,
    emitRunnerModule({
      graph,
      path: paths.runner,
      validatorsPath: paths.validators,
      validators: validators.names,
      providers: job.providers,
      sourceLabel,
      projectDir: projectDirArgs(paths.runner, emittedDir),
    }),
    emitMain(graph, paths.main, paths.runner, sourceLabel),
  ];
}

/**
 * Writes the files whose text changed, and deletes generated files no job produces any
 * more. Files already up to date are left untouched (their mtime too), so a build
 * watching them does not rerun.
 */
export function writeGenerated(result: GenerationResult): {
  written: string[];
  unchanged: string[];
  deleted: string[];
} {
  const drift = checkGenerated(result);
  for (const path of drift.orphaned) rmSync(path);
  const changed = new Set([...drift.missing, ...drift.stale]);
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const file of result.files) {
    if (!changed.has(file.path)) {
      unchanged.push(file.path);
      continue;
    }
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.text);
    written.push(file.path);
  }
  return { written, unchanged, deleted: drift.orphaned };
}

export interface DriftReport {
  readonly missing: string[];
  readonly stale: string[];
  /** `*.generated.ts` files in the generated folder that no job produces any more. */
  readonly orphaned: string[];
}

/** Compares what would be generated with what is on disk. */
export function checkGenerated(result: GenerationResult): DriftReport {
  const report: DriftReport = { missing: [], stale: [], orphaned: [] };
  const expected = new Set(result.files.map((f) => f.path));
  for (const file of result.files) {
    if (!existsSync(file.path)) report.missing.push(file.path);
    else if (readFileSync(file.path, 'utf8') !== file.text) report.stale.push(file.path);
  }
  if (existsSync(result.generatedDir)) {
    for (const name of readdirSync(result.generatedDir)) {
      const path = join(result.generatedDir, name);
      if (name.endsWith('.generated.ts') && !expected.has(path)) report.orphaned.push(path);
    }
  }
  return report;
}

/**
 * The setup the end-to-end tests of generate() share: a temporary project written from
 * sources, generated once for the whole describe block (beforeAll) and removed after it
 * (afterAll), with the generated runner's text, its spec sections and the type check
 * of the generated files beside the project sources.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { jobFiles, type GenerationResult } from '../src';
import { format, generateOrFail, TMP, typeCheck, writeProject } from './generated-project';

export interface E2eProject {
  /** The temporary folder: the project in `dir`, the tests' input and output files beside it. */
  readonly root: string;
  /** The project: its tsconfig.json, and the sources in its src/. */
  readonly dir: string;
  /** What generate() gave for it (without diagnostics: it throws on any). */
  readonly result: GenerationResult;
  /** The path of job `job`'s generated runner. */
  runnerPath(job: string): string;
  /** The text of that runner, as generated. */
  runner(job: string): string;
  /** The project's sources and the generated files type-checked: '' when they compile. */
  typeErrors(): string;
}

/**
 * Writes the project `name` (`files` in its src/) under a fresh folder of the test
 * directory's .tmp when the describe block starts, generates it, and removes the
 * folder when the block ends. Read the returned fields inside tests or hooks only.
 */
export function useGeneratedProject(
  prefix: string,
  name: string,
  files: Record<string, string>,
): E2eProject {
  let root: string | undefined;
  let result: GenerationResult | undefined;
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the project is generated in beforeAll');
    return value;
  };
  beforeAll(() => {
    mkdirSync(TMP, { recursive: true });
    root = mkdtempSync(join(TMP, `${prefix}-`));
    writeProject(join(root, name), files);
    result = generateOrFail(join(root, name));
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });
  const project: E2eProject = {
    get root() {
      return ready(root);
    },
    get dir() {
      return join(ready(root), name);
    },
    get result() {
      return ready(result);
    },
    runnerPath: (job) => jobFiles(project.dir, job).runner,
    runner: (job) =>
      project.result.files.find((f) => f.path === project.runnerPath(job))?.text ?? '',
    typeErrors() {
      const checked = typeCheck(
        join(project.dir, 'tsconfig.json'),
        [project.dir],
        project.result.files,
      );
      return format(checked, checked.getPreEmitDiagnostics());
    },
  };
  return project;
}

/**
 * A section of a generated runner's spec: from the line `first` (such as
 * `    keyedStages: [`) through the line that closes it (`    ],` or `    },` at that
 * line's indentation), each line with its newline; '' when there is no such line.
 */
export function specSection(runner: string, first: string): string {
  const start = runner.indexOf(`\n${first}\n`);
  if (start < 0) return '';
  const indent = /^ */.exec(first)?.[0] ?? '';
  const closing = runner.slice(start + 1).search(new RegExp(`^${indent}[\\]}],$`, 'm'));
  if (closing < 0) return '';
  const end = start + 1 + closing + indent.length + 3;
  return runner.slice(start + 1, end);
}

/**
 * Projects for the tests that generate, compile or run what generate() emits, checked
 * the way a user's build would check them. Temporary ones go to packages/codegen/test/.tmp
 * (gitignored; inside the repository so that @nestjs/* and reflect-metadata resolve from
 * its node_modules).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Project, ts, type CompilerOptions, type Diagnostic } from 'ts-morph';
import { formatDiagnostics, generate, type GeneratedFile, type GenerationResult } from '../src';

export const REPO = resolve(__dirname, '../../..');
export const FIXTURE = join(__dirname, 'fixtures/golden-project');
export const TMP = join(__dirname, '.tmp');

/** What generate() gives for the project in `dir`; throws with the diagnostics if any. */
export function generateOrFail(dir: string): GenerationResult {
  const result = generate(dir);
  if (result.diagnostics.length > 0) throw new Error(formatDiagnostics(result.diagnostics));
  return result;
}

/** A project in `dir` with the golden fixture's tsconfig.json and `files` in its src/. */
export function writeProject(dir: string, files: Record<string, string>): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  copyFileSync(join(FIXTURE, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'src', name), text);
}

/**
 * A ts-morph project with the compiler options of `tsconfig`, the sources of `roots`
 * (their generated files left out) and `generated` (in memory). The options are used as
 * they are, except:
 * - `@stream-gen/*` resolve to the packages' TypeScript sources, as in jest.config.js, so
 *   the check needs no build and never sees a stale `dist`; `composite` and `rootDir` are
 *   lifted for that reason only (those sources lie outside the project);
 * - ts-morph bundles TypeScript 6, which reports the `moduleResolution: node` of the
 *   tsconfigs as deprecated (TS5107) while the repository's TypeScript 5.9 does not, so
 *   that deprecation is acknowledged.
 */
export function typeCheck(
  tsconfig: string,
  roots: readonly string[],
  generated: readonly GeneratedFile[],
): Project {
  const overrides: CompilerOptions = {
    composite: false,
    declaration: false,
    declarationMap: false,
    rootDir: REPO,
    ...(Number(ts.versionMajorMinor.split('.')[0]) >= 6 ? { ignoreDeprecations: '6.0' } : {}),
    paths: {
      '@stream-gen/runtime/testing': [join(REPO, 'packages/runtime/src/testing/index.ts')],
      '@stream-gen/*': [join(REPO, 'packages/*/src/index.ts')],
    },
  };
  const project = new Project({
    tsConfigFilePath: tsconfig,
    skipAddingFilesFromTsConfig: true,
    compilerOptions: overrides,
  });
  for (const root of roots) {
    project.addSourceFilesAtPaths([
      join(root, 'src/**/*.ts'),
      `!${join(root, 'src/**/*.generated.ts')}`,
    ]);
  }
  for (const file of generated) project.createSourceFile(file.path, file.text, { overwrite: true });
  return project;
}

/** Diagnostics formatted with their code frames; '' when there is none. */
export const format = (project: Project, diagnostics: readonly Diagnostic[]) =>
  diagnostics.length === 0
    ? ''
    : project.formatDiagnosticsWithColorAndContext(diagnostics as Diagnostic[]);

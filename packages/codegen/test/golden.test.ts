/**
 * Golden test of the code generator's output.
 *
 * `generate()` runs on the fixture project `fixtures/golden-project` (two jobs: a
 * @CoProcess and a @KeyedProcess, with every kind of state, both timer domains, field
 * path and arrow keys, an injected provider, and element types with optional fields,
 * literal unions, nested objects and arrays). Each generated file is compared, in
 * memory, with `fixtures/golden-project/expected/<file name>.txt`; nothing is written
 * into the fixture's `src` (there is no `src/generated` there, on purpose).
 *
 * When the generated code changes on purpose, rewrite the expected files and review
 * their diff:
 *
 *   UPDATE_GOLDEN=1 npx jest packages/codegen/test/golden
 *
 * (expected files of files no longer generated are deleted too).
 *
 * The same test checks that every generated file compiles with zero diagnostics,
 * next to the project's own sources, for the fixture and for samples/impression-join
 * (whose generated files are committed, so it also checks they do not drift).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Project, ts, type CompilerOptions } from 'ts-morph';
import {
  checkGenerated,
  formatDiagnostics,
  generate,
  jobFiles,
  type GeneratedFile,
  type GenerationResult,
} from '../src';

const REPO = resolve(__dirname, '../../..');
const FIXTURE = join(__dirname, 'fixtures/golden-project');
const EXPECTED = join(FIXTURE, 'expected');
const SAMPLE = join(REPO, 'samples/impression-join');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** `x.runner.generated.ts` -> `expected/x.runner.generated.ts.txt` (no tool compiles or formats it). */
const expectedPathOf = (file: GeneratedFile) => join(EXPECTED, `${basename(file.path)}.txt`);

/**
 * Type-checks a project's sources together with generated files (in memory, at the
 * paths generate() reports). The project's tsconfig options are used as they are,
 * except that `@stream-gen/*` resolve to the packages' TypeScript sources, as in
 * jest.config.js: the check then needs no build, and never sees a stale `dist`.
 * `composite` and `rootDir` are lifted for that reason only (the packages' sources
 * lie outside the project). ts-morph bundles TypeScript 6, which reports the
 * `moduleResolution: node` of the projects' tsconfigs as deprecated (TS5107) while the
 * repository's TypeScript 5.9 does not, so that deprecation is acknowledged here.
 */
function typeCheck(root: string, generated: readonly GeneratedFile[]): Project {
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
    tsConfigFilePath: join(root, 'tsconfig.json'),
    skipAddingFilesFromTsConfig: true,
    compilerOptions: overrides,
  });
  project.addSourceFilesAtPaths([
    join(root, 'src/**/*.ts'),
    `!${join(root, 'src/**/*.generated.ts')}`,
  ]);
  for (const file of generated) project.createSourceFile(file.path, file.text, { overwrite: true });
  return project;
}

/** Every pre-emit diagnostic of the program, formatted with their code frames (empty when none). */
function compileErrors(project: Project): string {
  const diagnostics = project.getPreEmitDiagnostics();
  return diagnostics.length === 0 ? '' : project.formatDiagnosticsWithColorAndContext(diagnostics);
}

function generateOrFail(dir: string): GenerationResult {
  const result = generate(dir);
  if (result.diagnostics.length > 0) throw new Error(formatDiagnostics(result.diagnostics, REPO));
  return result;
}

describe('golden output of the fixture project', () => {
  let result: GenerationResult;

  beforeAll(() => {
    result = generateOrFail(FIXTURE);
    if (UPDATE) {
      mkdirSync(EXPECTED, { recursive: true });
      const keep = new Set(result.files.map(expectedPathOf));
      for (const name of readdirSync(EXPECTED)) {
        if (!keep.has(join(EXPECTED, name))) unlinkSync(join(EXPECTED, name));
      }
      for (const file of result.files) writeFileSync(expectedPathOf(file), file.text);
    }
  });

  it('finds both jobs and generates three files per job, at the paths jobFiles() names', () => {
    expect(result.analysis.jobs.map((j) => j.graph.name)).toEqual([
      'ClickAttribution',
      'SessionTracker',
    ]);
    expect(result.generatedDir).toBe(join(FIXTURE, 'src/generated'));
    const expectedPaths = ['ClickAttribution', 'SessionTracker'].flatMap((job) => {
      const paths = jobFiles(FIXTURE, job);
      return [paths.validators, paths.runner, paths.main];
    });
    expect(result.files.map((f) => f.path)).toEqual(expectedPaths);
    expect(result.files.map((f) => relative(FIXTURE, f.path).replace(/\\/g, '/'))).toEqual([
      'src/generated/click-attribution.validators.generated.ts',
      'src/generated/click-attribution.runner.generated.ts',
      'src/generated/click-attribution.main.generated.ts',
      'src/generated/session-tracker.validators.generated.ts',
      'src/generated/session-tracker.runner.generated.ts',
      'src/generated/session-tracker.main.generated.ts',
    ]);
  });

  it('has an expected file for every generated file, and none for files not generated', () => {
    const expected = readdirSync(EXPECTED).sort();
    expect(expected).toEqual(result.files.map((f) => `${basename(f.path)}.txt`).sort());
  });

  it.each([
    'click-attribution.validators.generated.ts',
    'click-attribution.runner.generated.ts',
    'click-attribution.main.generated.ts',
    'session-tracker.validators.generated.ts',
    'session-tracker.runner.generated.ts',
    'session-tracker.main.generated.ts',
  ])('%s equals its expected text', (name) => {
    const file = result.files.find((f) => basename(f.path) === name);
    expect(file).toBeDefined();
    const expectedPath = expectedPathOf(file as GeneratedFile);
    expect(existsSync(expectedPath)).toBe(true);
    // toBe on whole texts: jest prints a line diff on failure
    expect((file as GeneratedFile).text).toBe(readFileSync(expectedPath, 'utf8'));
  });

  it('is deterministic: a second run gives the same texts', () => {
    const again = generateOrFail(FIXTURE);
    expect(again.files).toEqual(result.files);
  });

  it('does not write into the fixture', () => {
    expect(existsSync(result.generatedDir)).toBe(false);
  });

  it('every generated file compiles with zero diagnostics, next to the fixture sources', () => {
    const project = typeCheck(FIXTURE, result.files);
    for (const file of result.files) expect(project.getSourceFile(file.path)).toBeDefined();
    expect(compileErrors(project)).toBe('');
  });
});

describe('samples/impression-join', () => {
  let result: GenerationResult;

  beforeAll(() => {
    result = generateOrFail(SAMPLE);
  });

  it('its committed generated files do not drift from what generate() produces', () => {
    expect(result.files.map((f) => relative(SAMPLE, f.path).replace(/\\/g, '/'))).toEqual([
      'src/generated/impression-join.validators.generated.ts',
      'src/generated/impression-join.runner.generated.ts',
      'src/generated/impression-join.main.generated.ts',
    ]);
    expect(checkGenerated(result)).toEqual({ missing: [], stale: [], orphaned: [] });
  });

  it('every generated file compiles with zero diagnostics, next to the sample sources', () => {
    expect(compileErrors(typeCheck(SAMPLE, result.files))).toBe('');
  });
});

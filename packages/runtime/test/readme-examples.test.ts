import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * The README's examples are the user's first contact with the API, and nothing else
 * compiles them: each ```ts block starting with `// example: <name>` is type-checked
 * here as a module of its own, against the sources of the workspace packages (as
 * jest runs them), so a renamed method or option fails this test instead of a user.
 */

const repo = resolve(__dirname, '../../..');
const readme = join(repo, 'packages/runtime/README.md');
/** Where the examples pretend to live: module resolution starts here. */
const exampleDir = join(repo, 'packages/runtime/test/readme-examples');

interface Example {
  readonly name: string;
  readonly code: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
}

function extractExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  const fence = /^```ts\n(\/\/ example: (\S+)\n[\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const line = markdown.slice(0, match.index).split('\n').length;
    examples.push({ name: match[2], code: match[1], line });
  }
  return examples;
}

function compilerOptions(): ts.CompilerOptions {
  const base = join(repo, 'tsconfig.base.json');
  const read = ts.readConfigFile(base, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(base), {}, base);
  return {
    ...parsed.options,
    // Only checked, never built: the project-build options do not apply.
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    incremental: false,
    baseUrl: repo,
    paths: {
      '@stream-gen/runtime/testing': ['packages/runtime/src/testing/index.ts'],
      '@stream-gen/runtime': ['packages/runtime/src/index.ts'],
      '@stream-gen/annotations': ['packages/annotations/src/index.ts'],
    },
  };
}

function typeCheck(examples: readonly Example[]): Map<string, string[]> {
  const options = compilerOptions();
  const files = new Map(examples.map((e) => [join(exampleDir, `${e.name}.ts`), e]));
  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (path) => files.get(resolve(path))?.code ?? readFile(path);
  host.fileExists = (path) => files.has(resolve(path)) || fileExists(path);
  host.getSourceFile = (path, language, onError, create) => {
    const example = files.get(resolve(path));
    return example
      ? ts.createSourceFile(path, example.code, language, true)
      : getSourceFile(path, language, onError, create);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  const problems = new Map<string, string[]>();
  for (const [path, example] of files) {
    const source = program.getSourceFile(path);
    if (!source) throw new Error(`example "${example.name}" was not compiled`);
    // Only the examples' own diagnostics: the packages are type-checked by their build.
    const diagnostics = [
      ...global,
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    const messages = diagnostics.map((d) => formatDiagnostic(d, example));
    // Without an import or export the blocks would share one global scope.
    if (!ts.isExternalModule(source)) messages.push('is not a module: import what it uses');
    problems.set(example.name, messages);
  }
  return problems;
}

function formatDiagnostic(diagnostic: ts.Diagnostic, example: Example): string {
  const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (!diagnostic.file || diagnostic.start === undefined) return `TS${diagnostic.code}: ${text}`;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  // The code starts on the line after the fence.
  return `README.md:${example.line + 1 + line}:${character + 1} TS${diagnostic.code}: ${text}`;
}

describe('runtime README examples', () => {
  const examples = extractExamples(readFileSync(readme, 'utf8'));

  it('are found, each with its own name', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    const names = examples.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('type-check against the workspace packages', () => {
    const problems = typeCheck(examples);
    const failed = [...problems].filter(([, messages]) => messages.length > 0);
    expect(Object.fromEntries(failed)).toEqual({});
    expect([...problems.keys()]).toEqual(examples.map((e) => e.name));
  }, 120_000);
});

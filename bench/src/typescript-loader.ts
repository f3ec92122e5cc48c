import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

interface CompilableModule {
  _compile(code: string, filename: string): void;
}

let registered = false;

/**
 * Lets `require` load the TypeScript files under `dir` by transpiling them on the fly.
 * The runtime's test services are TypeScript only (their paths are relative to their own
 * file, so they cannot be compiled elsewhere); the bench loads them in place, in its
 * parent process only, so no job process pays for the compiler.
 */
export function registerTypeScript(dir: string): void {
  if (registered) return;
  registered = true;
  const root = path.resolve(dir) + path.sep;
  require.extensions['.ts'] = (module, filename) => {
    if (!filename.startsWith(root)) {
      throw new Error(`the bench only loads TypeScript from ${root}, not ${filename}`);
    }
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    });
    (module as unknown as CompilableModule)._compile(outputText, filename);
  };
}

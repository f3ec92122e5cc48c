/**
 * Runs a TypeScript file of this repository as its own Node process, without a build:
 *
 *   node run-typescript.js <file.ts> [args...]
 *
 * Every `.ts` file the process loads from the repository (the runtime's sources
 * included) is transpiled when it is required, one file at a time and without a type
 * check (the tests' type check covers these files). For tests that start a hand-written
 * job as a process (with startJobProcess from job-process.ts), so that it runs the
 * sources under test, as the test workers do.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '..', '..', '..') + path.sep;
const MODULES = `${path.sep}node_modules${path.sep}`;
const COMPILER_OPTIONS = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  inlineSourceMap: true,
};

require.extensions['.ts'] = (module, filename) => {
  if (!filename.startsWith(ROOT) || filename.includes(MODULES)) {
    throw new Error(`run-typescript only loads TypeScript of ${ROOT}, not ${filename}`);
  }
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: COMPILER_OPTIONS,
  });
  module._compile(outputText, filename);
};

const file = process.argv[2];
if (!file || !file.endsWith('.ts')) {
  console.error('usage: node run-typescript.js <file.ts> [args...]');
  process.exit(2);
}
// stack traces name the TypeScript lines (inline source maps)
process.setSourceMapsEnabled(true);
// the file sees the arguments as if Node had run it directly
process.argv.splice(1, 1);
require(path.resolve(file));

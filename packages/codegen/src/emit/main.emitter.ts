import type { JobGraph } from '../model/job-graph';
import { buildFile, type GeneratedFile } from './generated-file';
import { GENERATED_HEADER, moduleSpecifier } from './naming';

/** `<job>.main.generated.ts`: the process entry that `stream-gen run` starts. */
export function emitMain(
  graph: JobGraph,
  path: string,
  runnerPath: string,
  sourceLabel: string,
): GeneratedFile {
  const runner = `${graph.className}Runner`;
  return buildFile(path, GENERATED_HEADER(sourceLabel), (file) => {
    file.addImportDeclaration({ moduleSpecifier: 'reflect-metadata' });
    file.addImportDeclaration({ moduleSpecifier: '@nestjs/core', namedImports: ['NestFactory'] });
    file.addImportDeclaration({
      moduleSpecifier: '@stream-gen/runtime',
      namedImports: ['parseRunBindings'],
    });
    file.addImportDeclaration({
      moduleSpecifier: moduleSpecifier(path, runnerPath),
      namedImports: [runner, `${runner}Module`],
    });
    file.addFunction({
      name: 'main',
      isAsync: true,
      docs: [
        `Runs ${graph.name}: \`node <this file> [--source <name>=<file.jsonl>]... [--sink <name>=<file.jsonl>]...\``,
      ],
      returnType: 'Promise<void>',
      statements: [
        'const bindings = parseRunBindings(process.argv.slice(2));',
        `const app = await NestFactory.createApplicationContext(${runner}Module.forRoot(bindings), { logger: ['error', 'warn'] });`,
        'app.enableShutdownHooks();',
        `await app.get(${runner}).finished();`,
        'await app.close();',
      ],
    });
    file.addStatements([
      'main().catch((error: unknown) => {',
      '  console.error(error instanceof Error ? error.message : error);',
      '  process.exit(1);',
      '});',
    ]);
  });
}

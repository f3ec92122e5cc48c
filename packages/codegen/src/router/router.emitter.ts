import { isAbsolute } from 'node:path';
import { buildFile, type GeneratedFile } from '../emit/generated-file';
import { projectDirArgs } from '../emit/project-dir';
import { GENERATED_HEADER, camelCase, moduleSpecifier, q } from '../emit/naming';
import { writeValidators } from '../validators';
import type { RouterAnalysis } from './analyze-routers';
import { compileCel } from './compile-cel';
import type { RouterExpression, Route } from './router-model';

/** Per router: the paths of its generated files. */
export interface RouterPaths {
  /** `<router>.router.generated.ts`: the validator of its records and its `RouterSpec`. */
  readonly router: string;
  /** `<router>.main.generated.ts`: the process entry `stream-gen run <Router>` starts. */
  readonly main: string;
}

/**
 * The router's spec for the runtime. Each CEL expression is compiled to JS where the
 * compiler keeps its meaning (the CEL text stays beside it as a comment) and handed to
 * the runtime's interpreter otherwise; records are checked by a validator derived from
 * the source type, so a record that is not one is dead-lettered with the reason.
 */
export function emitRouter(
  analysis: RouterAnalysis,
  paths: RouterPaths,
  sourceLabel: string,
): GeneratedFile[] {
  const { config } = analysis;
  const specName = `${camelCase(config.name)}Spec`;
  const validator = `validate${config.source.type}`;
  const interpreted: string[] = [];
  const fn = (expression: RouterExpression): string => {
    const compiled = compileCel(analysis.cel, expression.text);
    if (compiled !== undefined) return compiled;
    interpreted.push(
      `const cel${interpreted.length} = $.interpreted(${JSON.stringify(expression.text)}, CEL);`,
    );
    return `cel${interpreted.length - 1}(r)`;
  };
  const projectDir = projectDirArgs(paths.router, analysis.emittedDir);
  const routes = config.routes.map((route) => routeLiteral(route, fn, projectDir));
  const header = `${GENERATED_HEADER(sourceLabel)}/* eslint-disable @typescript-eslint/no-explicit-any -- records were checked against the source type by CEL and the validator */\n`;
  const router = buildFile(paths.router, header, (file) => {
    if (config.routes.some((r) => r.script?.file !== undefined && !isAbsolute(r.script.file))) {
      file.addImportDeclaration({ moduleSpecifier: 'node:path', namedImports: ['join'] });
    }
    file.addImportDeclaration({
      moduleSpecifier: '@stream-gen/runtime',
      namedImports: ['celRuntime as $', 'type CelDeclarations', 'type RouterSpec'],
    });
    file.addStatements([
      writeValidators([{ functionName: validator, shape: analysis.shape }]),
      '/** What CEL knows of the records, for the expressions left to the interpreter. */',
      `const CEL: CelDeclarations = ${JSON.stringify(analysis.cel.declarations)};`,
      ...interpreted,
      '',
      `/** ${config.name}: ${config.source.topic} (${config.source.type}) to ${config.routes.length} route(s). */`,
      `export const ${specName}: RouterSpec = {`,
      `  name: ${q(config.name)},`,
      `  source: { topic: ${q(config.source.topic)}, validate: ${validator} },`,
      `  routes: [${routes.join(',\n')}],`,
      '};',
    ]);
  });
  const main = buildFile(paths.main, GENERATED_HEADER(sourceLabel), (file) => {
    file.addImportDeclaration({
      moduleSpecifier: '@stream-gen/runtime',
      namedImports: ['launchRouter', 'parseRunBindings', 'runUntilSignal'],
    });
    file.addImportDeclaration({
      moduleSpecifier: moduleSpecifier(paths.main, paths.router),
      namedImports: [specName],
    });
    file.addStatements([
      `/** Runs ${config.name}: \`node <this file> [--source <name>=<file.jsonl>]... [--sink <name>=<file.jsonl>]...\` */`,
      'async function main(): Promise<void> {',
      `  const router = launchRouter(${specName}, { bindings: parseRunBindings(process.argv.slice(2)) });`,
      '  await runUntilSignal(router);',
      '}',
      'main().catch((error: unknown) => {',
      '  console.error(error instanceof Error ? error.message : error);',
      '  process.exit(1);',
      '});',
    ]);
  });
  return [router, main];
}

function routeLiteral(
  route: Route,
  fn: (e: RouterExpression) => string,
  projectDir: string,
): string {
  const lines = [`name: ${q(route.name)}`];
  if (route.filter) {
    lines.push(`// ${oneLine(route.filter.text)}`, `filter: (r: any) => ${fn(route.filter)}`);
  }
  if (route.script) {
    const { file, redis, sourceLocation: _, ...limits } = route.script;
    const rest = Object.entries(limits)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `, ${k}: ${JSON.stringify(v)}`)
      .join('');
    if (file !== undefined) {
      const at = isAbsolute(file) ? q(file) : `join(__dirname, ${projectDir}${q(file)})`;
      lines.push(`script: { file: ${at}${rest} }`);
    } else {
      lines.push(
        '// a Redis key: its text is read (REDIS_URL) and checked when the router starts, not at build time',
        `script: { redis: ${q(redis as string)}${rest} }`,
      );
    }
  }
  if (route.project) {
    const fields = route.project.map(
      (f) => `${q(f.name)}: ${fn(f.expression)}, // ${oneLine(f.expression.text)}`,
    );
    lines.push(`project: (r: any) => ({\n${fields.join('\n')}\n})`);
  }
  lines.push(`sink: ${JSON.stringify({ kind: route.sink.kind, ...route.sink.settings })}`);
  if (route.isolated) lines.push('isolated: true');
  return `{\n${lines.map((l) => (l.startsWith('//') ? l : `${l},`)).join('\n')}\n}`;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

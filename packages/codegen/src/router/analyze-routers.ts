import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InterfaceDeclaration, Project, TypeAliasDeclaration } from 'ts-morph';
import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { didYouMean } from '../analyze/near-name';
import { isUnsupported, shapeOfDeclaration, type Shape } from '../validators';
import { celEnvironment, objectFields, type CelEnvironment } from './cel-environment';
import { checkRoutes } from './check-routes';
import { checkScript } from './check-script';
import { emittedDirOf } from './emitted-location';
import { parseRouter } from './parse-router';
import type { RouterConfig } from './router-model';

/** A router whose file and expressions check, with its source type's shape. */
export interface RouterAnalysis {
  readonly config: RouterConfig;
  readonly shape: Shape;
  /** The CEL types of the source type's records, for compiling the expressions. */
  readonly cel: CelEnvironment;
  /** The module exporting the source type (for the generated code's import). */
  readonly typeModule: string;
  /** The folder the project's compiler options emit a folder's TypeScript to. */
  readonly emittedDir: (sourceDir: string) => string;
}

/** Router files of a project: `*.router.yaml` (or `.yml`) anywhere under `src/`. */
export function findRouterFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'generated')
        walk(path);
      else if (/\.router\.ya?ml$/.test(entry.name)) files.push(path);
    }
  };
  walk(join(root, 'src'));
  return files.sort();
}

/** Reads and checks every router file; `files` (path to text) default to those on disk. */
export function analyzeRouters(
  project: Project,
  files: ReadonlyMap<string, string>,
  sink: DiagnosticsSink,
  /** The project directory, which script files are relative to. */
  root: string,
): RouterAnalysis[] {
  const routers: RouterAnalysis[] = [];
  const emittedDir = emittedDirOf(project);
  const names = new Map<string, RouterConfig>();
  for (const [file, text] of files) {
    const config = parseRouter(file, text, sink);
    if (!config) continue;
    if (names.has(config.name)) {
      sink.reportAt('SG3006', `duplicate router name "${config.name}"`, config.location);
      continue;
    }
    names.set(config.name, config);
    const declaration = findExportedType(project, config, sink);
    if (!declaration) continue;
    const result = shapeOfDeclaration(declaration);
    if (isUnsupported(result)) {
      sink.reportAt(
        'SG3005',
        `source type ${config.source.type} cannot be read from JSON: ${result.unsupported}`,
        config.source.typeLocation,
      );
      continue;
    }
    if (!objectFields(result.shape)) {
      sink.reportAt(
        'SG3005',
        `source type ${config.source.type} must be an object type: expressions read its fields`,
        config.source.typeLocation,
      );
      continue;
    }
    const before = sink.diagnostics.length;
    const cel = celEnvironment(result.shape, config.source.type);
    checkRoutes(config, cel.env, sink);
    for (const route of config.routes) if (route.script) checkScript(route.script, root, sink);
    if (sink.diagnostics.length === before) {
      routers.push({
        config,
        shape: result.shape,
        cel,
        typeModule: declaration.getSourceFile().getFilePath(),
        emittedDir,
      });
    }
  }
  return routers;
}

/** Reads each router file from disk. */
export function readRouterFiles(root: string): Map<string, string> {
  return new Map(findRouterFiles(root).map((file) => [file, readFileSync(file, 'utf8')]));
}

function findExportedType(
  project: Project,
  config: RouterConfig,
  sink: DiagnosticsSink,
): InterfaceDeclaration | TypeAliasDeclaration | undefined {
  const wanted = config.source.type;
  const known: string[] = [];
  for (const file of project.getSourceFiles()) {
    if (file.isDeclarationFile() || file.getFilePath().endsWith('.generated.ts')) continue;
    for (const declaration of [...file.getInterfaces(), ...file.getTypeAliases()]) {
      if (!declaration.isExported()) continue;
      if (declaration.getName() === wanted) return declaration;
      known.push(declaration.getName());
    }
  }
  sink.reportAt(
    'SG3005',
    `source type ${wanted} is not an exported interface or type alias of the project${didYouMean(wanted, known)}`,
    config.source.typeLocation,
  );
  return undefined;
}

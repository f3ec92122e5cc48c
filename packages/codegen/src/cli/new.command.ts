import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { single, UsageFailure } from './args';
import type { Command } from './command';

const TEMPLATES = ['joiner', 'enricher', 'blank'] as const;

export const newCommand: Command = {
  name: 'new',
  summary: 'scaffold a project from a template (joiner, enricher, blank)',
  usage: `stream-gen new <dir> [--template joiner|enricher|blank]

Creates <dir> with a job class, its test, package.json and tsconfig.json. The
framework packages are referenced by the path of this installation when they are
not installed from a registry, so the project installs without publishing anything.

Example:
  npx stream-gen new my-jobs --template joiner && cd my-jobs && npm install && npx stream-gen generate && npm test`,
  args: { valued: ['template'], positionals: 1 },
  async run(args, io) {
    const [target] = args.positionals;
    if (!target)
      throw new UsageFailure('name the directory to create, e.g. stream-gen new my-jobs');
    const template = single(args, 'template') ?? 'joiner';
    if (!(TEMPLATES as readonly string[]).includes(template)) {
      throw new UsageFailure(
        `--template must be one of ${TEMPLATES.join(', ')}, not "${template}"`,
      );
    }
    const dir = resolve(target);
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      io.err(`${dir} exists and is not a directory; choose a new directory`);
      return 1;
    }
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      io.err(`${dir} exists and is not empty; choose a new directory`);
      return 1;
    }
    const values = placeholders(basename(dir));
    const written = copyTree(join(templatesRoot(), template), dir, values);
    io.out(`created ${target} from template "${template}" (${written} files)`);
    io.out(`next: cd ${target} && npm install && npx stream-gen generate && npm test`);
    return 0;
  },
};

/** The templates folder: inside the package when published, at the repository root in a checkout. */
export function templatesRoot(): string {
  const candidates = [
    resolve(__dirname, '../../templates'),
    resolve(__dirname, '../../../../templates'),
  ];
  const found = candidates.find((c) => existsSync(join(c, 'blank')));
  if (!found) throw new Error(`templates not found (looked in ${candidates.join(', ')})`);
  return found;
}

/**
 * Dependency specs of the framework packages: `file:` paths to this installation when
 * it is a checkout of the repository (packages/ side by side), else the version.
 */
export function placeholders(projectName: string): Record<string, string> {
  const packagesDir = resolve(__dirname, '../../..');
  // A checkout of the repository (packages/ beside templates/), not an installed copy.
  const checkout =
    !__dirname.split(sep).includes('node_modules') &&
    existsSync(join(packagesDir, '..', 'templates'));
  const version = (
    JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const dep = (name: string) => {
    const local = join(packagesDir, name);
    return checkout && existsSync(join(local, 'package.json')) ? `file:${local}` : `^${version}`;
  };
  return {
    projectName: projectName.toLowerCase().replace(/[^a-z0-9-]/g, '-'),
    annotationsDep: dep('annotations'),
    runtimeDep: dep('runtime'),
    codegenDep: dep('codegen'),
  };
}

function copyTree(from: string, to: string, values: Record<string, string>): number {
  mkdirSync(to, { recursive: true });
  let count = 0;
  for (const name of readdirSync(from).sort()) {
    const source = join(from, name);
    // npm drops files named .gitignore from packages, so templates keep it as "gitignore".
    const target = join(to, name === 'gitignore' ? '.gitignore' : name);
    if (statSync(source).isDirectory()) {
      count += copyTree(source, target, values);
      continue;
    }
    const text = readFileSync(source, 'utf8').replace(
      /\{\{(\w+)\}\}/g,
      (whole, key: string) => values[key] ?? whole,
    );
    writeFileSync(target, text);
    count++;
  }
  return count;
}

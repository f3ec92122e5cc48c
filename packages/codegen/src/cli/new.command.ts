import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { single, UsageFailure } from './args';
import type { Command } from './command';
import { packPackages } from './pack-packages';

const TEMPLATES = ['joiner', 'enricher', 'blank'] as const;
const FRAMEWORK_PACKAGES = ['annotations', 'runtime', 'codegen'] as const;
/** Where `new` puts the framework packages' tarballs inside the project. */
const VENDOR = 'vendor';

export const newCommand: Command = {
  name: 'new',
  summary: 'scaffold a project from a template (joiner, enricher, blank)',
  usage: `stream-gen new <dir> [--template joiner|enricher|blank]

Creates <dir> with a job class, its test, package.json and tsconfig.json. Run from
a checkout of stream-gen, it packs the framework packages into <dir>/vendor/ and the
project depends on those tarballs by relative paths: it installs without a registry
and without the checkout (keep vendor/ with the project's sources).

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
    const created = !existsSync(dir);
    let values: Record<string, string>;
    try {
      values = templateValues(dir);
    } catch (error) {
      // Leave no half-made project behind: the next attempt needs an empty directory.
      rmSync(created ? dir : join(dir, VENDOR), { recursive: true, force: true });
      throw error;
    }
    const written = copyTree(join(templatesRoot(), template), dir, values);
    io.out(`created ${target} from template "${template}" (${written} files)`);
    if (existsSync(join(dir, VENDOR))) {
      io.out(`packed the stream-gen packages of this checkout into ${join(target, VENDOR)}`);
    }
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
 * Template values: the project's name and the dependency specs of the framework
 * packages. Run from a checkout of the repository (packages/ beside templates/), the
 * packages are packed into the project's vendor/ and referenced by relative `file:`
 * paths, so the project installs without a registry and without this checkout, wherever
 * either of them moves. An installed copy refers to its own version in the registry.
 */
export function templateValues(dir: string): Record<string, string> {
  const packagesDir = resolve(__dirname, '../../..');
  const checkout =
    !__dirname.split(sep).includes('node_modules') &&
    existsSync(join(packagesDir, '..', 'templates'));
  const version = (
    JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const vendored = checkout ? vendorPackages(packagesDir, join(dir, VENDOR)) : undefined;
  const dep = (name: string) => vendored?.get(name) ?? `^${version}`;
  return {
    projectName: basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-'),
    annotationsDep: dep('annotations'),
    runtimeDep: dep('runtime'),
    codegenDep: dep('codegen'),
  };
}

/** Packs the checkout's framework packages into `vendor`: their `file:` specs by short name. */
function vendorPackages(packagesDir: string, vendor: string): Map<string, string> {
  const tarballs = packPackages(
    FRAMEWORK_PACKAGES.map((name) => ({
      dir: join(packagesDir, name),
      // What codegen's prepack script copies in before a publish.
      extra: name === 'codegen' ? { templates: templatesRoot() } : undefined,
    })),
    vendor,
  );
  return new Map(
    FRAMEWORK_PACKAGES.map((name) => {
      const file = tarballs.get(`@stream-gen/${name}`);
      if (!file) throw new Error(`npm pack made no tarball of @stream-gen/${name}`);
      return [name, `file:${VENDOR}/${file}`];
    }),
  );
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

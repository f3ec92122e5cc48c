import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One workspace package to pack: its folder, and folders its `prepack` script would add. */
export interface PackageToPack {
  dir: string;
  /** Name in the package to folder outside it, e.g. codegen's templates. */
  extra?: Record<string, string>;
}

interface PackageJson {
  name: string;
  main?: string;
  files?: string[];
}

/** What `npm pack --json` prints per package, as far as it is read here. */
interface PackResult {
  name: string;
  filename: string;
}

/**
 * Packs the packages into `destination` with `npm pack` and returns each tarball's file
 * name by package name. Each package is staged in a temporary folder first (its
 * package.json, README and `files`, plus `extra`) and packed with lifecycle scripts off:
 * a prepack script that writes into the checkout would race with another pack of the
 * same checkout and leave files behind when it is interrupted.
 */
export function packPackages(
  packages: readonly PackageToPack[],
  destination: string,
): Map<string, string> {
  const staging = mkdtempSync(join(tmpdir(), 'stream-gen-pack-'));
  try {
    const specs = packages.map((p, i) => {
      const stage = join(staging, String(i));
      stagePackage(p, stage);
      return stage;
    });
    mkdirSync(destination, { recursive: true });
    const results = runNpmPack(specs, destination, staging);
    return new Map(results.map((r) => [r.name, r.filename]));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function stagePackage(p: PackageToPack, stage: string): void {
  const manifest = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) as PackageJson;
  const main = manifest.main ?? 'index.js';
  if (!existsSync(join(p.dir, main))) {
    throw new Error(
      `${manifest.name} is not built (${join(p.dir, main)} is missing): run \`npm run build\` in the checkout first`,
    );
  }
  mkdirSync(stage, { recursive: true });
  const extra = p.extra ?? {};
  // npm always packs package.json and README; `files` lists plain names in this repository.
  for (const entry of ['package.json', 'README.md', 'LICENSE', ...(manifest.files ?? [])]) {
    const from = extra[entry] ?? join(p.dir, entry);
    if (existsSync(from)) cpSync(from, join(stage, entry), { recursive: true });
  }
}

function runNpmPack(specs: readonly string[], destination: string, cwd: string): PackResult[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['pack', ...specs, '--ignore-scripts', '--json', '--pack-destination', destination];
  const ran = spawnSync(npm, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === 'win32',
  });
  if (ran.error) {
    throw new Error(`could not run npm to pack the stream-gen packages: ${ran.error.message}`);
  }
  if (ran.status !== 0) {
    throw new Error(`npm pack of the stream-gen packages exited ${ran.status}:\n${ran.stderr}`);
  }
  try {
    return JSON.parse(ran.stdout) as PackResult[];
  } catch {
    throw new Error(`npm pack printed no JSON list of tarballs:\n${ran.stdout}\n${ran.stderr}`);
  }
}

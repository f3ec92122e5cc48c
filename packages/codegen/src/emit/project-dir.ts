import { dirname, relative, sep } from 'node:path';
import { q } from './naming';

/**
 * The project directory, which relative script paths are from, as the arguments after
 * `__dirname` of a `join` in a generated module (`src/generated/<name>.ts`), each
 * followed by `, `: the way up from the module's folder, which is its source's when it
 * runs as TypeScript and the one the project's compiler options emit it to
 * (`<outDir>/generated`, or deeper) when it runs as JavaScript; both known now.
 * `emittedDir` gives that folder for a source folder (see `emittedDirOf`).
 */
export function projectDirArgs(module: string, emittedDir: (sourceDir: string) => string): string {
  const root = dirname(dirname(dirname(module)));
  const up = (dir: string) =>
    relative(dir, root)
      .split(sep)
      .filter(Boolean)
      .map((part) => q(part))
      .join(', ');
  const source = up(dirname(module));
  const emitted = up(emittedDir(dirname(module)));
  if (source === emitted) return source && `${source}, `;
  return `...(__filename.endsWith('.ts') ? [${source}] : [${emitted}]), `;
}

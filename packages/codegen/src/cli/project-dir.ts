import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { single, UsageFailure, type ParsedArgs } from './args';

/** `--project <dir>` (default: the working directory), checked to hold a src folder. */
export function projectDir(args: ParsedArgs): string {
  const dir = resolve(single(args, 'project') ?? '.');
  if (!existsSync(dir)) throw new UsageFailure(`--project ${dir} does not exist`);
  if (!existsSync(join(dir, 'src'))) {
    throw new UsageFailure(
      `${dir} has no src/ folder: pass --project <dir> of a stream-gen project (one made by 'stream-gen new')`,
    );
  }
  return dir;
}

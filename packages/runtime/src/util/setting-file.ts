import { readFileSync } from 'node:fs';
import { ConfigurationError } from './errors';

/** A file that a setting names, read when the settings are. */
export interface SettingFile {
  readonly setting: string;
  readonly path: string;
  readonly content: Buffer;
}

/**
 * The file the environment variable `setting` names, read; undefined when it is unset.
 * A file that cannot be read, or is empty, is a ConfigurationError naming the setting
 * and the path (never the content: it may be a key or a password).
 */
export function readSettingFile(env: NodeJS.ProcessEnv, setting: string): SettingFile | undefined {
  const path = env[setting]?.trim();
  if (!path) return undefined;
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'a directory, not a file'
            : (code ?? 'unreadable');
    throw new ConfigurationError(`${setting}: cannot read "${path}" (${why})`);
  }
  if (content.length === 0) throw new ConfigurationError(`${setting}: "${path}" is empty`);
  return { setting, path, content };
}

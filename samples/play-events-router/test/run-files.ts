import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlayEvent } from '../src';

const CLI = path.resolve(__dirname, '../../../packages/codegen/bin/stream-gen.js');
export const PROJECT = path.resolve(__dirname, '..');

/** Writes events (and extra raw lines) as a JSON-lines file. */
export function writeEvents(file: string, events: readonly PlayEvent[], extraLines: string[] = []) {
  fs.writeFileSync(
    file,
    [...events.map((e) => JSON.stringify(e)), ...extraLines].join('\n') + '\n',
  );
}

/** The JSON values of a JSON-lines file. */
export function readLines<T>(file: string): T[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** `stream-gen run PlayEventsRouter --source play_events=<file> --sink <route>=<file>...`. */
export function runRouter(
  dir: string,
  source: string,
  sinks: Record<string, string>,
  env: NodeJS.ProcessEnv = {},
) {
  return spawnSync(
    process.execPath,
    [
      CLI,
      'run',
      'PlayEventsRouter',
      '--project',
      PROJECT,
      '--source',
      `play_events=${source}`,
      ...Object.entries(sinks).flatMap(([name, file]) => [
        '--sink',
        `${name}=${path.join(dir, file)}`,
      ]),
    ],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } },
  );
}

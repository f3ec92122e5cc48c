/**
 * Runs a job the way its generated Nest module runs it over files, for the end-to-end
 * tests: the runner module generate() wrote, bound to JSON-lines files by name.
 */
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';

type RunnerModule = Record<
  string,
  { forRoot(bindings: object): never } & (new () => { finished(): Promise<unknown> })
>;

/**
 * Boots `<className>RunnerModule` of the runner file with these files bound, waits for
 * the bounded run to end and closes the application; the runtime logs errors only.
 */
export async function runGenerated(
  runner: string,
  className: string,
  bindings: {
    readonly sourceFiles: Record<string, string>;
    readonly sinkFiles: Record<string, string>;
  },
): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module generate() just wrote
  const generated = require(runner) as RunnerModule;
  const level = process.env.STREAM_GEN_LOG_LEVEL;
  process.env.STREAM_GEN_LOG_LEVEL = 'error';
  try {
    const app = await NestFactory.createApplicationContext(
      generated[`${className}RunnerModule`].forRoot(bindings),
      { logger: false },
    );
    await app.get(generated[`${className}Runner`]).finished();
    await app.close();
  } finally {
    if (level === undefined) delete process.env.STREAM_GEN_LOG_LEVEL;
    else process.env.STREAM_GEN_LOG_LEVEL = level;
  }
}

/** The records of a JSON-lines file. */
export const readJsonLines = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

/** A JSON-lines file of these records. */
export const jsonLines = (records: readonly unknown[]) =>
  records.map((r) => JSON.stringify(r)).join('\n') + '\n';

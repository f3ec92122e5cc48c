import { join } from 'node:path';
import { Project } from 'ts-morph';
import { analyzeProject } from '../src';

/** A folder inside the repository, so imports of @stream-gen/* resolve; files are never written. */
export const VIRTUAL_ROOT = join(__dirname, 'virtual');

const HEADER = `import { CoProcess, KeyBy, KeyedProcess, ProcessElement, Sink, Source, State, StreamJob, Timer } from '@stream-gen/annotations';
import type { ElementContext, ListState, MapState, TimerContext, ValueState } from '@stream-gen/runtime';
export interface Click { user: string; ts: number; }
`;

/** Lines the header adds before the body of a fixture (for expected line numbers). */
export const HEADER_LINES = HEADER.split('\n').length - 1;

/** Analyzes one job file made of the common imports plus `body`. */
export function analyzeSource(body: string, files: Record<string, string> = {}) {
  const project = new Project({
    compilerOptions: {
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      skipLibCheck: true,
    },
  });
  project.createSourceFile(join(VIRTUAL_ROOT, 'src/job.ts'), HEADER + body);
  for (const [name, text] of Object.entries(files))
    project.createSourceFile(join(VIRTUAL_ROOT, 'src', name), text);
  return analyzeProject(project, VIRTUAL_ROOT);
}

/** `line:col code message` of every diagnostic, lines counted within the fixture body. */
export function diagnosticsOf(body: string, files: Record<string, string> = {}): string[] {
  return analyzeSource(body, files).diagnostics.map(
    (d) => `${d.location.line - HEADER_LINES}:${d.location.column} ${d.code} ${d.message}`,
  );
}

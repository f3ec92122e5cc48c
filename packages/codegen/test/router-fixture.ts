import { join } from 'node:path';
import { Project } from 'ts-morph';
import { analyzeProject } from '../src';
import { VIRTUAL_ROOT } from './virtual-project';

/** The source type of the router fixtures: the talk's play events. */
export const PLAY_EVENT_TYPES = `
export interface Device { kind: 'tv' | 'phone' | 'web'; os: string; }
export interface PlayEvent {
  profileId: string;
  titleId: string;
  country: string;
  durationMs: number;
  live: boolean;
  device: Device;
  tags: string[];
  attributes: Record<string, string>;
  rating?: number | null;
}
`;

export const ROUTER_FILE = join(VIRTUAL_ROOT, 'src', 'play-events.router.yaml');

/** Analyzes a project of the play-event types (plus `types`) and one router file. */
export function analyzeRouterSource(yaml: string, types = '', job?: string) {
  const project = new Project({
    compilerOptions: { strict: true, experimentalDecorators: true, skipLibCheck: true },
  });
  project.createSourceFile(join(VIRTUAL_ROOT, 'src/model.ts'), PLAY_EVENT_TYPES + types);
  if (job) project.createSourceFile(join(VIRTUAL_ROOT, 'src/job.ts'), job);
  return analyzeProject(project, VIRTUAL_ROOT, new Map([[ROUTER_FILE, yaml]]));
}

/** `line:col code message` of every diagnostic of a router file. */
export function routerDiagnostics(yaml: string, types = '', job?: string): string[] {
  return analyzeRouterSource(yaml, types, job).diagnostics.map(
    (d) => `${d.location.line}:${d.location.column} ${d.code} ${d.message}`,
  );
}

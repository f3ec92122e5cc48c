import { resolve } from 'node:path';
import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { scriptFileProblem } from '../script/script-file-problem';
import type { RouteScriptConfig } from './router-model';

/**
 * A route's script file must exist and compile (see {@link scriptFileProblem}). A script
 * kept in a Redis key is read only at run time: the router checks it when it starts,
 * and each new version before it swaps it in.
 */
export function checkScript(script: RouteScriptConfig, root: string, sink: DiagnosticsSink): void {
  if (script.file === undefined) return;
  const problem = scriptFileProblem(resolve(root, script.file));
  if (problem) sink.reportAt('SG3007', `script ${script.file} ${problem}`, script.sourceLocation);
}

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import vm from 'node:vm';
import { transform } from 'sucrase';
import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import type { RouteScriptConfig } from './router-model';

/**
 * A route's script file must exist and compile (as a classic script, as the sandbox
 * loads it); a `.ts` one is first stripped of its types as the runtime strips it
 * (sucrase, nothing but the TypeScript transform, lines kept), so its errors' lines are
 * the file's. A script kept in a Redis key is read only at run time: the router checks
 * it when it starts, and each new version before it swaps it in.
 */
export function checkScript(script: RouteScriptConfig, root: string, sink: DiagnosticsSink): void {
  if (script.file === undefined) return;
  const file = resolve(root, script.file);
  const fail = (message: string) =>
    sink.reportAt('SG3007', `script ${script.file} ${message}`, script.sourceLocation);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`cannot be read: ${(error as Error).message}`);
  }
  if (file.endsWith('.ts')) {
    try {
      text = transform(text, { transforms: ['typescript'], disableESTransforms: true }).code;
    } catch (error) {
      const line = (error as { loc?: { line: number } }).loc?.line;
      const message = (error as Error).message.replace(/ \(\d+:\d+\)$/, '');
      return fail(`does not compile${line ? ` (line ${line})` : ''}: ${message}`);
    }
  }
  try {
    new vm.Script(text, { filename: file });
  } catch (error) {
    const at = /:(\d+)\n/.exec(String((error as Error).stack))?.[1];
    fail(`does not compile${at ? ` (line ${at})` : ''}: ${(error as Error).message}`);
  }
}

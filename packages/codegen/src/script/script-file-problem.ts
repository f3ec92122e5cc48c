import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { transform } from 'sucrase';

/**
 * Why a script file would not load in the sandbox, or undefined when it would: it must
 * be readable and compile as a classic script; a `.ts` one is first stripped of its
 * types as the runtime strips it (sucrase, nothing but the TypeScript transform, lines
 * kept), so the line an error names is the file's. Whether it defines its function is
 * seen only when it runs (the sandbox checks it at start and before a reload).
 */
export function scriptFileProblem(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return `cannot be read: ${(error as Error).message}`;
  }
  if (file.endsWith('.ts')) {
    try {
      text = transform(text, { transforms: ['typescript'], disableESTransforms: true }).code;
    } catch (error) {
      const line = (error as { loc?: { line: number } }).loc?.line;
      const message = (error as Error).message.replace(/ \(\d+:\d+\)$/, '');
      return `does not compile${line ? ` (line ${line})` : ''}: ${message}`;
    }
  }
  try {
    new vm.Script(text, { filename: file });
  } catch (error) {
    const at = /:(\d+)\n/.exec(String((error as Error).stack))?.[1];
    return `does not compile${at ? ` (line ${at})` : ''}: ${(error as Error).message}`;
  }
  return undefined;
}

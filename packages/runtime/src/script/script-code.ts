import { ConfigurationError } from '../util/errors';

type Sucrase = typeof import('sucrase');
let sucrase: Sucrase | undefined;

/**
 * A TypeScript script as the JavaScript the sandbox runs: its types stripped by sucrase
 * (about 50 ms to load once, under a millisecond per small script), nothing else
 * changed, so it stays a classic script defining its function, and each line stays on
 * its line (an error's line is the TypeScript's). Throws a syntax error with its line.
 */
export function scriptCode(typescript: string): string {
  try {
    return sucraseModule().transform(typescript, {
      transforms: ['typescript'],
      disableESTransforms: true,
    }).code;
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const at = (error as { loc?: { line: number } }).loc;
    const message = (error as Error).message.replace(/ \(\d+:\d+\)$/, '');
    throw new SyntaxError(`${message}${at ? ` (line ${at.line})` : ''}`, { cause: error });
  }
}

/**
 * sucrase, loaded when a TypeScript script first needs it (an optional dependency: a
 * router of JavaScript scripts never loads it).
 */
function sucraseModule(): Sucrase {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    return (sucrase ??= require('sucrase') as Sucrase);
  } catch (error) {
    throw new ConfigurationError(
      `TypeScript scripts are stripped of their types by sucrase, which does not load: ${(error as Error).message}. Install it: \`npm install sucrase\``,
    );
  }
}

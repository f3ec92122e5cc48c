import type ivm from 'isolated-vm';
import { errorMessage } from '../util/error-message';
import { ConfigurationError } from '../util/errors';

/** What one record became in the script: its output (null: dropped), or why it failed. */
export type ScriptResult = { readonly ok: unknown } | { readonly error: string };

export interface SandboxLimits {
  /** Wall time per record, ms: a call of a batch of n may take n times as long (at most a minute). */
  readonly timeoutMs: number;
  /** The isolate's heap, MB. */
  readonly memoryMb: number;
}

/**
 * The script, then a function that maps a batch given as JSON through `fn`, each record
 * in its own try, and gives the results as JSON: one crossing per batch.
 */
const batchRunner = (fn: string) => `
(() => {
  // taken before the script runs, so the script cannot replace what the runner uses
  const parse = JSON.parse, stringify = JSON.stringify, global = globalThis;
  return function (json) {
    const records = parse(json);
    const f = global[${JSON.stringify(fn)}];
    const out = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      try {
        const value = f(records[i]);
        out[i] = { ok: value === undefined ? null : value };
      } catch (error) {
        out[i] = { error: String(error && error.message !== undefined ? error.message : error) };
      }
    }
    return stringify(out);
  };
})()`;

/**
 * A user's script run in an isolated-vm isolate: its own V8 heap with a memory limit, no
 * `require`, `process`, file system, network or timers (the isolate has none of Node's
 * globals), and a time limit per call. Records cross in and out as JSON, a batch per
 * call. A call that times out or runs out of memory is retried record by record, so
 * only the records that do it fail; an isolate that ran out of memory is disposed and
 * made anew with the same script.
 */
export class ScriptSandbox {
  /** Calls into sandboxes this process made (a batch is one; a retried record one more). */
  static calls = 0;
  /** Isolates open in this process. */
  static live = 0;
  private isolate: ivm.Isolate | undefined;
  private batch: ivm.Reference<(json: string) => string> | undefined;

  private constructor(
    readonly source: string,
    private readonly fn: string,
    private readonly limits: SandboxLimits,
  ) {}

  /** Loads `source` and checks that it defines `fn`; throws why it cannot (a syntax error, ...). */
  static load(source: string, fn: string, limits: SandboxLimits): ScriptSandbox {
    if (!/^[A-Za-z_$][\w$]*$/.test(fn))
      throw new Error(`function name "${fn}" is not an identifier`);
    const sandbox = new ScriptSandbox(source, fn, limits);
    sandbox.open();
    return sandbox;
  }

  /** Each record through the script, in one call; per record on a timeout or out of memory. */
  run(records: readonly unknown[]): ScriptResult[] {
    if (records.length === 0) return [];
    const whole = this.call(records);
    if (!('error' in whole)) return whole.results;
    if (records.length === 1) return [{ error: whole.error }];
    return records.map((record) => {
      const one = this.call([record]);
      return 'error' in one ? { error: one.error } : one.results[0];
    });
  }

  dispose(): void {
    this.batch?.release();
    if (this.isolate) ScriptSandbox.live--;
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = undefined;
    this.batch = undefined;
  }

  private open(): void {
    const isolate = new (isolatedVm().Isolate)({ memoryLimit: this.limits.memoryMb });
    try {
      const context = isolate.createContextSync();
      const timeout = this.limits.timeoutMs;
      // the runner first, held by reference: nothing the script defines reaches it
      const runner = context.evalSync(batchRunner(this.fn), { timeout, reference: true });
      const script = isolate.compileScriptSync(this.source, { filename: 'script.js' });
      script.runSync(context, { timeout });
      const type = context.evalSync(`typeof globalThis[${JSON.stringify(this.fn)}]`, { timeout });
      if (type !== 'function')
        throw new Error(`the script defines no function "${this.fn}" (${this.fn} is ${type})`);
      this.batch = runner as ivm.Reference<(json: string) => string>;
      this.isolate = isolate;
      ScriptSandbox.live++;
    } catch (error) {
      isolate.dispose();
      throw error;
    }
  }

  /** One call: the results, or why the call as a whole failed (timeout, memory). */
  private call(records: readonly unknown[]): { results: ScriptResult[] } | { error: string } {
    if (!this.batch) this.open();
    ScriptSandbox.calls++;
    try {
      // the time limit is per record: a batch gets as many, up to a minute
      const timeout = Math.min(this.limits.timeoutMs * records.length, 60_000);
      const json = (this.batch as ivm.Reference<(json: string) => string>).applySync(
        undefined,
        [JSON.stringify(records)],
        { timeout },
      );
      const results = JSON.parse(json) as ScriptResult[];
      if (!Array.isArray(results) || results.length !== records.length) {
        return {
          error: `script gave ${Array.isArray(results) ? results.length : 'no'} results for ${records.length} records`,
        };
      }
      return { results };
    } catch (error) {
      const disposed = this.isolate?.isDisposed ?? true;
      if (disposed) this.dispose();
      return { error: callError(error, this.limits, disposed) };
    }
  }
}

function callError(error: unknown, limits: SandboxLimits, disposed: boolean): string {
  const message = errorMessage(error);
  if (/timed out/i.test(message))
    return `script timed out (limit ${limits.timeoutMs} ms per record)`;
  if (disposed) return `script ran out of memory (limit ${limits.memoryMb} MB)`;
  return `script failed: ${message}`;
}

/**
 * isolated-vm, loaded when a script first needs it: a native addon, built when it is
 * installed (npm runs its install script only where `allowScripts` lets it), so a job
 * without scripts never needs it.
 */
function isolatedVm(): typeof ivm {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    return require('isolated-vm') as typeof ivm;
  } catch (error) {
    throw new ConfigurationError(
      `script UDFs run in isolated-vm, which does not load: ${(error as Error).message}. ` +
        'It is built when installed (python3, make and g++): `npm install-scripts approve isolated-vm && npm rebuild isolated-vm`',
    );
  }
}

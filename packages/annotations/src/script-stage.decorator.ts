import { SCRIPT_STAGE } from './constants';
import type { ScriptStageOptions } from './metadata';

/**
 * The class is a script stage: each element of `input` (a source of the job) goes
 * through a JavaScript or TypeScript function kept in a file (`file`, relative to the
 * project directory) or a Redis key (`redis`), which runs in a sandbox (no Node
 * globals, a time and a memory limit) one call per input batch; what it returns
 * (`null`: nothing, an array: each) is the stream `output`, each record carrying the
 * version of the script that made it in its `stream-gen-script-version` header. The
 * class has no body: it `implements ScriptFunction<In, Out>`, so codegen knows what the
 * script takes (`In`, checked against the input) and gives (`Out`, each output checked
 * at run time, one that is not dead-letters its record). A `dynamic` script is read
 * again at batch boundaries and a new version swapped in before a batch. List it in
 * `@StreamJob({ stages: [...] })` like a `@Chain`:
 *
 * ```ts
 * @ScriptStage({ id: 'score', input: 'plays', output: 'scored', file: 'scripts/score.ts', dynamic: true })
 * export class Score implements ScriptFunction<Play, ScoredPlay> {}
 * ```
 */
export function ScriptStage(options: ScriptStageOptions): ClassDecorator {
  return (target) => Reflect.defineMetadata(SCRIPT_STAGE, { ...options }, target);
}

/**
 * What a `@ScriptStage` class implements: the script's function takes an `In` and gives
 * an `Out`, an `Out[]` (several outputs) or `null` (none). Types only: the function is
 * the script's, not the class's.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- a marker codegen reads from `implements`
export interface ScriptFunction<In, Out> {}

import { isAbsolute } from 'node:path';
import type { CodeBlockWriter } from 'ts-morph';
import type { ChainStageNode, ScriptStageSettings } from '../model/job-graph';
import { q } from './naming';

/** Whether a stage's script is a file named relative to the project (the module then imports `join`). */
export const hasRelativeScriptFile = (stages: readonly ChainStageNode[]) =>
  stages.some((s) => s.script?.file !== undefined && !isAbsolute(s.script.file));

/**
 * A `@ScriptStage` in the spec's `stages`: the runtime's `scriptStage`, its file found
 * from the generated module (`projectDir`: the arguments of `join` after `__dirname`
 * that lead to the project directory), its outputs checked by the validator of `Out`.
 */
export function writeScriptStage(
  w: CodeBlockWriter,
  stage: ChainStageNode,
  script: ScriptStageSettings,
  projectDir: string,
): void {
  w.writeLine('scriptStage({');
  w.indent(() => {
    w.writeLine(`id: ${q(stage.id)},`);
    w.writeLine(`input: ${q(stage.input)},`);
    w.writeLine(`output: ${q(stage.output)},`);
    const { file, redis } = script;
    const rest = (['function', 'dynamic', 'timeoutMs', 'memoryMb', 'pollMs'] as const)
      .filter((key) => script[key] !== undefined)
      .map((key) => `, ${key}: ${JSON.stringify(script[key])}`)
      .join('');
    if (file !== undefined) {
      const at = isAbsolute(file) ? q(file) : `join(__dirname, ${projectDir}${q(file)})`;
      w.writeLine(`script: { file: ${at}${rest} },`);
    } else {
      w.writeLine(
        '// a Redis key: its text is read (REDIS_URL) and checked when the job starts, not at build time',
      );
      w.writeLine(`script: { redis: ${q(redis ?? '')}${rest} },`);
    }
    if (script.validatorName) w.writeLine(`validate: ${script.validatorName},`);
    if (script.outputType) w.writeLine(`outputType: ${q(script.outputType)},`);
  });
  w.writeLine('}),');
}

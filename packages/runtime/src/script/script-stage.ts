import type { ChainStageSpec, Step, Validator } from '../job/job-spec';
import { OUTPUT_HEADERS } from '../records';
import { defaultLogger, type Logger } from '../util/logger';
import { HEADER_SCRIPT_VERSION, RouteScript, type ScriptSpec } from './route-script';

/** What a script step needs besides its spec. */
export interface ScriptStepOptions {
  /** Names the script in its logs and errors: the route's name, the stage's id. */
  readonly name: string;
  /** What `name` names (default a route). */
  readonly kind?: 'route' | 'stage';
  readonly logger: Logger;
  /** Checks each output; one it refuses fails its record, which is dead-lettered with the reason. */
  readonly validate?: Validator;
  /** What an output must be, for that reason: `a record of the source type`, `a Scored`. */
  readonly outputType?: string;
  /** Which values of a batch reach the script (default: all); the others are not sent in. */
  readonly reaches?: (value: unknown) => boolean;
  /** Told how many outputs each record gave (0: dropped), after they checked. */
  readonly counted?: (outputs: number) => void;
  /** Where a script kept in Redis is read from when its spec names no Redis (`REDIS_URL`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A script as the parts of a chain stage: its step, the call per batch, and what it holds. */
export interface ScriptStep {
  /** A flatMap step: what the script made of the record (null: none, an array: each). */
  readonly step: Step;
  /**
   * Before each batch's records go through the steps: a new version when the script is
   * dynamic and its text changed, then the batch's records (those that `reaches`) in
   * one call into the sandbox, whose results the step then reads.
   */
  readonly beforeBatch: (values: readonly unknown[]) => Promise<void>;
  /** Disposes of the sandbox and lets go of the script's source (a Redis connection). */
  readonly close: () => void;
}

/**
 * Opens the script (a configuration error when it does not load) and gives it as a
 * chain stage's parts. Each output carries the version that made it
 * (`stream-gen-script-version`) and is checked by `validate`; a record the script
 * threw on, timed out or ran out of memory on fails with the reason, as does one with
 * an output `validate` refuses (none of its outputs go on then).
 */
export async function openScriptStep(
  spec: ScriptSpec,
  options: ScriptStepOptions,
): Promise<ScriptStep> {
  const { validate, counted, reaches } = options;
  const script = await RouteScript.open(
    spec,
    options.logger,
    options.name,
    options.env,
    options.kind,
  );
  const what = options.outputType ?? 'of the type it must be';
  return {
    step: {
      kind: 'flatMap',
      name: 'script',
      fn: (value: unknown) => {
        const result = script.resultOf(value);
        if ('error' in result) throw new Error(result.error);
        const outputs: unknown[] =
          result.ok === null ? [] : Array.isArray(result.ok) ? result.ok : [result.ok];
        for (const output of outputs) {
          const invalid = validate?.(output);
          if (invalid !== undefined) {
            throw new Error(
              `script version ${script.version} gave an output that is not ${what}: ${invalid}`,
            );
          }
        }
        counted?.(outputs.length);
        const headers = { [HEADER_SCRIPT_VERSION]: script.version };
        return outputs.map((output) => withHeaders(output, headers));
      },
    },
    beforeBatch: (values) => script.runBatch(reaches ? values.filter(reaches) : values),
    close: () => script.close(),
  };
}

/** A `@ScriptStage` of a decorated job, as its generated spec gives it. */
export interface ScriptStageOptions {
  readonly id: string;
  /** A source of the job: the script's call per batch is made before any step runs. */
  readonly input: string;
  readonly output: string;
  readonly script: ScriptSpec;
  /** The validator of the stage's output type (`Out` of its `ScriptFunction<In, Out>`). */
  readonly validate?: Validator;
  /** That type's name, for the reason an output that is not one is dead-lettered with. */
  readonly outputType?: string;
  /** Default: the runtime's logger (STREAM_GEN_LOG_LEVEL). */
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A script as a chain stage: each task opens the script in a sandbox of its own, runs
 * each input batch through it in one call (a dynamic script's new version swapped in
 * before the batch, so each record goes through exactly one version), and closes it
 * with the task.
 */
export function scriptStage(options: ScriptStageOptions): ChainStageSpec {
  const { id, input, output, script, validate, outputType, env } = options;
  return {
    kind: 'chain',
    id,
    input,
    output,
    create: async () => {
      const logger = options.logger ?? defaultLogger(id);
      const opened = await openScriptStep(script, {
        name: id,
        kind: 'stage',
        logger,
        validate,
        outputType: outputType && `a ${outputType}`,
        env,
      });
      return { steps: [opened.step], beforeBatch: opened.beforeBatch, close: opened.close };
    },
  };
}

/** `value` carrying `headers` to its output record (objects only; a symbol key JSON skips). */
export function withHeaders(value: unknown, headers: Record<string, string> | undefined): unknown {
  if (headers && typeof value === 'object' && value !== null) {
    Object.defineProperty(value, OUTPUT_HEADERS, { value: headers, enumerable: false });
  }
  return value;
}

import type { ClassDeclaration, Decorator, Node, TypeNode } from 'ts-morph';
import type { ChainStageNode } from '../model/job-graph';
import type { CarriedType } from './element-type';
import type { DiagnosticsSink } from './diagnostics-sink';
import { checkJsonType } from './json-type';
import { locationOf } from './location';
import { asObject, optionAt, stringOption, type StaticObject } from './options';

/** The `@ScriptStage` of a class, if it has one. */
export const scriptStageDecorator = (cls: ClassDeclaration): Decorator | undefined =>
  cls.getDecorators().find((d) => d.getName() === 'ScriptStage');

/** A `@ScriptStage` class read: its stage, and the `In` and `Out` its `implements` names. */
export interface ScriptStageClass {
  readonly stage: ChainStageNode;
  readonly takes?: TypeNode;
  readonly gives?: TypeNode;
}

const LIMITS = ['timeoutMs', 'memoryMb', 'pollMs'] as const;

/**
 * A `@ScriptStage` class: its options (exactly one of `file` and `redis`, positive
 * limits), and `implements ScriptFunction<In, Out>` for what its script takes and gives.
 * The file itself is checked by {@link checkScriptStageFiles}, which knows the project.
 */
export function readScriptStageClass(
  cls: ClassDeclaration,
  decorator: Decorator,
  sink: DiagnosticsSink,
): ScriptStageClass | undefined {
  const name = cls.getName() ?? 'anonymous class';
  const optionsArg = decorator.getArguments()[0];
  const where = optionsArg ?? decorator;
  const options = asObject(sink.value(optionsArg, '@ScriptStage options') ?? {});
  const text = (key: 'id' | 'input' | 'output' | 'file' | 'redis' | 'function') =>
    stringOption(sink, options[key], `@ScriptStage ${key}`, optionAt(where, key));
  const [id, input, output] = (['id', 'input', 'output'] as const).map((key) => {
    const value = text(key);
    if (value === undefined && options[key] === undefined) {
      sink.report(
        'SG1002',
        `@ScriptStage needs ${key}, like @ScriptStage({ id: 'score', input: 'plays', output: 'scored', file: 'scripts/score.js' })`,
        where,
      );
    }
    return value;
  });
  const [file, redis, fn] = [text('file'), text('redis'), text('function')];
  if ((options.file === undefined) === (options.redis === undefined)) {
    sink.report(
      'SG2201',
      `@ScriptStage ${name} names ${options.file === undefined ? 'neither' : 'both'} file and redis: exactly one, the script's file or the Redis key holding it`,
      where,
    );
  }
  if (options.dynamic !== undefined && typeof options.dynamic !== 'boolean') {
    sink.report('SG1002', '@ScriptStage dynamic must be true or false', optionAt(where, 'dynamic'));
  }
  const limits = readLimits(options, where, sink);
  const [takes, gives] = scriptFunctionTypes(cls, name, decorator, sink);
  for (const member of [...cls.getMethods(), ...cls.getProperties()]) {
    sink.report(
      'SG2003',
      `@ScriptStage ${name} has member '${member.getName()}': its function is the script's, the class only names its types`,
      member,
    );
  }
  if (id === undefined || input === undefined || output === undefined) return undefined;
  const problem = gives && checkJsonType(gives.getType(), gives, gives.getText());
  if (problem) {
    sink.report(
      'SG1801',
      `output type '${gives?.getText()}' of script stage "${id}" cannot be validated: ${problem}`,
      gives as TypeNode,
    );
  }
  const stage: ChainStageNode = {
    id,
    input,
    output,
    className: name,
    classModule: cls.getSourceFile().getFilePath(),
    steps: [],
    lookups: [],
    script: {
      ...(file !== undefined && { file }),
      ...(redis !== undefined && { redis }),
      ...(fn !== undefined && { function: fn }),
      ...(options.dynamic === true && { dynamic: true }),
      ...limits,
      outputType: gives?.getText(),
      at: { file: options.file === undefined ? undefined : locationOf(optionAt(where, 'file')) },
    },
    at: {
      id: locationOf(optionAt(where, 'id')),
      input: locationOf(optionAt(where, 'input')),
      output: locationOf(optionAt(where, 'output')),
    },
    location: locationOf(decorator),
  };
  return { stage, takes, gives };
}

/**
 * `timeoutMs` and `memoryMb` when they are positive numbers, `pollMs` when it is a number
 * of at least 0 (0: at every batch, as a route's), SG2201 otherwise.
 */
function readLimits(
  options: StaticObject,
  where: Node,
  sink: DiagnosticsSink,
): Partial<Record<(typeof LIMITS)[number], number>> {
  const limits: Partial<Record<(typeof LIMITS)[number], number>> = {};
  for (const key of LIMITS) {
    const value = options[key];
    if (value === undefined) continue;
    const least = key === 'pollMs' ? 0 : Number.MIN_VALUE;
    if (typeof value === 'number' && Number.isFinite(value) && value >= least) limits[key] = value;
    else {
      const what = key === 'pollMs' ? 'a number of at least 0' : 'a positive number';
      sink.report(
        'SG2201',
        `@ScriptStage ${key} must be ${what}, not ${JSON.stringify(value) ?? String(value)}`,
        optionAt(where, key),
      );
    }
  }
  return limits;
}

/** `In` and `Out` of the class's `implements ScriptFunction<In, Out>` (SG2203 without). */
function scriptFunctionTypes(
  cls: ClassDeclaration,
  name: string,
  decorator: Decorator,
  sink: DiagnosticsSink,
): [TypeNode?, TypeNode?] {
  const clause = cls
    .getImplements()
    .find((i) => i.getExpression().getText().split('.').pop() === 'ScriptFunction');
  const args = clause?.getTypeArguments() ?? [];
  if (!clause || args.length !== 2) {
    sink.report(
      'SG2203',
      `@ScriptStage ${name} must implement ScriptFunction<In, Out> (from @stream-gen/annotations), saying what its script takes and gives: class ${name} implements ScriptFunction<Play, ScoredPlay> {}`,
      clause ?? cls.getNameNode() ?? decorator,
    );
    return [];
  }
  return [args[0], args[1]];
}

/**
 * A script stage against what reaches it: its `In` must take what the input stream
 * carries; what leaves it is its `Out`.
 */
export function checkScriptInput(
  stage: ChainStageNode,
  script: ScriptStageClass,
  input: CarriedType,
  sink: DiagnosticsSink,
): CarriedType | undefined {
  const { takes, gives } = script;
  if (!takes || !gives) return undefined;
  if (!input.type.isAssignableTo(takes.getType())) {
    sink.report(
      'SG2204',
      `script stage "${stage.id}" takes '${takes.getText()}', but its input "${stage.input}" carries '${input.text}' (${input.origin})`,
      takes,
    );
    return undefined;
  }
  return { type: gives.getType(), text: gives.getText(), origin: `script stage "${stage.id}"` };
}

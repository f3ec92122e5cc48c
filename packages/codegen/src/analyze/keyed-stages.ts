import type { ClassDeclaration, Decorator, Node } from 'ts-morph';
import type { KeyedStageNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import type { CarriedType } from './element-type';
import { operatorOutputType } from './emitted-type';
import { locationOf } from './location';
import { readMembers } from './members';
import { readOperator } from './operator';
import { optionAt, staticOptions, stringOption } from './options';
import { describeStatic, type StaticValue } from './static-value';

/** A class `@StreamJob({ stages })` lists, and where it is listed. */
export interface ListedClass {
  readonly declaration: ClassDeclaration;
  readonly listed: Node;
}

export interface KeyedStageAnalysis {
  readonly stages: KeyedStageNode[];
  /** The keyed stage classes, for their constructor dependencies. */
  readonly classes: ClassDeclaration[];
}

/** The decorators that make a class a keyed stage when they have an `id`. */
const STAGE_DECORATORS = ['KeyedProcess', 'Window'];

/** The class's `@KeyedProcess` (or `@Window`) when it has an `id`: that makes the class a keyed stage. */
export function keyedStageDecorator(cls: ClassDeclaration): Decorator | undefined {
  return cls
    .getDecorators()
    .find((d) => STAGE_DECORATORS.includes(d.getName()) && staticOptions(d).id !== undefined);
}

/**
 * The keyed stage classes, each read as the job's operator is (readMembers, then
 * readOperator), its handler checked against what its input stream carries:
 * `streamType` gives that for the streams before the keyed stages (the operator's
 * output, the chain stages after it); a keyed stage's output carries what its class
 * emits (`ElementContext<Out>`).
 */
export function readKeyedStages(
  listed: readonly ListedClass[],
  streamType: (stream: string) => CarriedType | undefined,
  sink: DiagnosticsSink,
): KeyedStageAnalysis {
  const writers = new Map<string, ClassDeclaration>();
  for (const { declaration } of listed) {
    const output = staticOptions(keyedStageDecorator(declaration)!).output;
    if (typeof output === 'string' && !writers.has(output)) writers.set(output, declaration);
  }
  const typeOf = (stream: string) => {
    const writer = writers.get(stream);
    return streamType(stream) ?? (writer && operatorOutputType(writer));
  };
  const analysis: KeyedStageAnalysis = { stages: [], classes: [] };
  for (const { declaration } of listed) {
    const stage = readKeyedStage(declaration, typeOf, sink);
    if (stage) analysis.stages.push(stage);
    if (!analysis.classes.includes(declaration)) analysis.classes.push(declaration);
  }
  return analysis;
}

function readKeyedStage(
  cls: ClassDeclaration,
  typeOf: (stream: string) => CarriedType | undefined,
  sink: DiagnosticsSink,
): KeyedStageNode | undefined {
  const decorator = keyedStageDecorator(cls)!;
  const name = cls.getName() ?? 'anonymous class';
  const where = decorator.getArguments()[0] ?? decorator;
  const options = staticOptions(decorator);
  const id = stringOption(sink, options.id, '@KeyedProcess id', optionAt(where, 'id'));
  const input = typeof options.input === 'string' ? options.input : undefined;
  const carried = input === undefined ? undefined : typeOf(input);
  const streams = new Map(input !== undefined && carried ? [[input, carried]] : []);
  // a stage has no sources of its own: its handler reads what the stream before it carries
  const process = readOperator(cls, sink, readMembers(cls, sink, new Map(), streams));
  const chain = cls.getDecorators().find((d) => d.getName() === 'Chain');
  if (chain) {
    sink.report(
      'SG2005',
      `${name} is both a @Chain and a keyed stage (@KeyedProcess with an id); a stage class is one or the other`,
      chain,
    );
  }
  if (process?.processLate) {
    sink.report(
      'SG1002',
      `lateElements: 'process' is for the job's operator; keyed stage ${name} reads a stream whose lateness its upstream judged`,
      optionAt(where, 'lateElements'),
    );
  }
  if (process?.kind === 'process' && process.inputs.length === 0) {
    sink.report(
      'SG1002',
      `keyed stage ${name} needs input: the stream it reads, like @KeyedProcess({ id: '${id ?? 'top'}', input: 'counts' })`,
      where,
    );
  }
  const sameKey = readSameKey(options.sameKey, optionAt(where, 'sameKey'), sink);
  if (sameKey) reportKeyBy(cls, id, sink);
  if (sameKey && decorator.getName() === 'Window' && options.key !== undefined) {
    sink.report(
      'SG2007',
      `window stage "${id ?? name}" has sameKey: true, so it reads its input under the key it was emitted with and takes no key: remove key to keep that key (no repartition), or remove sameKey to key the stage anew`,
      optionAt(where, 'key'),
    );
  }
  if (id === undefined || process?.kind !== 'process' || process.inputs.length === 0)
    return undefined;
  return {
    id,
    input: process.inputs[0],
    ...(sameKey ? { sameKey } : {}),
    output: process.output,
    className: name,
    classModule: cls.getSourceFile().getFilePath(),
    process,
    at: {
      id: locationOf(optionAt(where, 'id')),
      ...(sameKey ? { sameKey: locationOf(optionAt(where, 'sameKey')) } : {}),
    },
    location: locationOf(decorator),
  };
}

/** `sameKey`: `true` or left out (SG1002 otherwise). */
function readSameKey(value: StaticValue, at: Node, sink: DiagnosticsSink): true | undefined {
  if (value === true || value === undefined) return value;
  sink.report(
    'SG1002',
    `@KeyedProcess sameKey must be true (or left out), got ${describeStatic(value)}`,
    at,
  );
  return undefined;
}

/**
 * A stage with `sameKey` reads its input under the key it was emitted with: a `@KeyBy`
 * on its handler would key it anew (SG2007), so one of the two has to go.
 */
function reportKeyBy(cls: ClassDeclaration, id: string | undefined, sink: DiagnosticsSink): void {
  for (const method of cls.getMethods()) {
    const keyBy = method.getDecorators().find((d) => d.getName() === 'KeyBy');
    if (!keyBy) continue;
    sink.report(
      'SG2007',
      `keyed stage "${id ?? cls.getName()}" has sameKey: true, so it reads its input under the key it was emitted with and its handler '${method.getName()}' takes no @KeyBy: remove @KeyBy to keep that key (no repartition), or remove sameKey to key the stage anew`,
      keyBy,
    );
  }
}

/**
 * `sameKey` on the job class's own operator (SG2007): the operator reads the sources,
 * keyed by its `@KeyBy`; only a keyed stage reads what a stage before it emitted.
 */
export function reportSameKeyOnOperator(cls: ClassDeclaration, sink: DiagnosticsSink): void {
  const decorator = cls.getDecorators().find((d) => STAGE_DECORATORS.includes(d.getName()));
  if (!decorator || staticOptions(decorator).sameKey === undefined) return;
  sink.report(
    'SG2007',
    `sameKey is for a keyed stage (a @KeyedProcess with an id, listed in @StreamJob stages), which reads what the stage before it emitted under that stage's key; the operator of job ${cls.getName()} reads its input keyed by its @KeyBy: remove sameKey (a source whose topic is already partitioned by the key says so with partitionedByKey: true)`,
    optionAt(decorator.getArguments()[0] ?? decorator, 'sameKey'),
  );
}

/** `id` on the job class's own operator: it would make the job's operator a stage (SG2005). */
export function reportIdOnOperator(cls: ClassDeclaration, sink: DiagnosticsSink): void {
  const decorator = keyedStageDecorator(cls);
  if (!decorator) return;
  sink.report(
    'SG2005',
    `@KeyedProcess id makes a class a keyed stage, listed in @StreamJob stages; the operator of job ${cls.getName()} is named after its class: remove the id`,
    optionAt(decorator.getArguments()[0] ?? decorator, 'id'),
  );
}

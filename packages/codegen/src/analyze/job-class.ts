import { Node, type ClassDeclaration, type Type, type TypeNode } from 'ts-morph';
import type { JobGraph, SinkNode, SourceNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { readErrorPolicy } from './error-policy';
import { locationOf } from './location';
import { readMembers } from './members';
import { readOperator } from './operator';
import {
  asObject,
  durationOption,
  optionAt,
  optionNode,
  staticOptions,
  stringOption,
} from './options';
import { constructorProviders, type ProviderRef } from './providers';
import { readStages } from './chain-stages';
import { operatorOutputType } from './emitted-type';
import { OPERATOR_DECORATORS } from './operator-decorators';
import { readKeyedStages, reportIdOnOperator, reportSameKeyOnOperator } from './keyed-stages';
import { sideOutputSinks, unclaimedSinks } from '../model/streams';
import { decoratorsNamed, readDeclaredTypes, readSink, readSource, sourceName } from './sources';

/** A job read from its class: the plain graph, plus the types the emitters need. */
export interface JobAnalysis {
  readonly graph: JobGraph;
  readonly classDeclaration: ClassDeclaration;
  /** Element type per source name (`@Source<T>`'s, else the handler's). */
  readonly elementTypes: ReadonlyMap<string, Type>;
  /** Injectable classes the job's constructor needs. */
  readonly providers: readonly ProviderRef[];
  /** Per `@ScriptStage` id: the output type (`Out`) its generated validator checks. */
  readonly scriptOutputs: ReadonlyMap<string, TypeNode>;
}

/** Reads one @StreamJob class. Problems local to the class are reported to `sink`. */
export function analyzeJobClass(cls: ClassDeclaration, sink: DiagnosticsSink): JobAnalysis {
  const jobDecorator = decoratorsNamed(cls, 'StreamJob')[0];
  const className = cls.getName() ?? 'AnonymousJob';
  const jobArgument = jobDecorator.getArguments()[0];
  const where = jobArgument ?? jobDecorator;
  const jobOptions = asObject(sink.value(jobArgument, '@StreamJob options') ?? {});
  const declared = readDeclaredTypes(cls, sink);
  const sourceNames = decoratorsNamed(cls, 'Source')
    .map((d) => sourceName(d))
    .filter((n): n is string => n !== undefined);
  const outputStream = operatorOutputStream(cls);
  const emitted = outputStream === undefined ? undefined : operatorOutputType(cls);
  const stages = readStages(
    jobArgument,
    sourceNames,
    declared,
    sink,
    outputStream === undefined ? undefined : { stream: outputStream, type: emitted },
    handledStreams(cls),
  );
  for (const [name, type] of stages.sourceTypes) declared.set(name, type);
  const members = readMembers(cls, sink, declared, stages.streams);
  const sources = decoratorsNamed(cls, 'Source').map((d) => {
    const name = sourceName(d) ?? '';
    const chained = stages.chainEnds.has(name);
    return readSource(d, sink, members, chained ? { end: stages.chainEnds.get(name) } : undefined);
  });
  const sinks = decoratorsNamed(cls, 'Sink').map((d) => readSink(d, sink));
  const operator = readOperator(cls, sink, members);
  reportIdOnOperator(cls, sink);
  reportSameKeyOnOperator(cls, sink);
  const keyed = readKeyedStages(
    stages.keyed,
    (stream) => stages.streams.get(stream) ?? (stream === outputStream ? emitted : undefined),
    sink,
  );
  const option = (name: 'name' | 'deadLetters' | 'output') =>
    stringOption(sink, jobOptions[name], `@StreamJob ${name}`, optionAt(where, name));
  const at = (name: string) => {
    const node = optionNode(jobArgument, name);
    return node && locationOf(node);
  };
  const deadLetters = option('deadLetters');
  const readSinks = sinks.filter((s): s is SinkNode => s !== undefined);
  const graph: JobGraph = {
    name: option('name') ?? className,
    className,
    classModule: cls.getSourceFile().getFilePath(),
    deadLetters,
    // the main output of a job without an operator, or of its last keyed stage, names no sink
    output:
      option('output') ??
      (operator && keyed.stages.length === 0
        ? undefined
        : onlySink(
            unclaimedSinks(readSinks, deadLetters, sideOutputSinks(operator, keyed.stages)),
          )),
    at: { deadLetters: at('deadLetters'), output: at('output') },
    looseMembers:
      !operator && members.handlers.length + members.timers.length + members.states.length > 0,
    checkpointIntervalMs: durationOption(
      sink,
      jobOptions.checkpointInterval,
      '@StreamJob checkpointInterval',
      optionAt(where, 'checkpointInterval'),
    ),
    onError: readErrorPolicy(jobOptions.onError, jobArgument, jobDecorator, sink),
    sources: sources.filter((s): s is SourceNode => s !== undefined),
    sinks: readSinks,
    stages: stages.stages,
    operator,
    keyedStages: keyed.stages,
    location: locationOf(cls.getNameNode() ?? cls),
  };
  return {
    graph,
    classDeclaration: cls,
    elementTypes: members.elementTypes,
    scriptOutputs: stages.scriptOutputs,
    providers: uniqueProviders(
      [cls, ...stages.classes, ...keyed.classes].flatMap((c) => constructorProviders(c, sink)),
    ),
  };
}

/** The main output goes to the only sink no other role claims, if there is one. */
const onlySink = (candidates: readonly string[]) =>
  candidates.length === 1 ? candidates[0] : undefined;

function uniqueProviders(providers: readonly ProviderRef[]): ProviderRef[] {
  const seen = new Set<string>();
  return providers.filter(
    (p) => !seen.has(`${p.module}#${p.name}`) && seen.add(`${p.module}#${p.name}`),
  );
}

/** The `output` an operator decorator names (a sink, or a stream stages read), if static. */
function operatorOutputStream(cls: ClassDeclaration): string | undefined {
  const decorators = [
    ...cls.getDecorators(),
    ...cls.getMethods().flatMap((m) => m.getDecorators()),
  ].filter((d) => [...OPERATOR_DECORATORS, 'AsyncEnrich'].includes(d.getName()));
  for (const decorator of decorators) {
    const output = optionNode(decorator.getArguments()[0], 'output');
    if (output && Node.isStringLiteral(output)) return output.getLiteralValue();
  }
  return undefined;
}

/** The streams the class's operator reads: its `input`/`inputs`, its handlers' and enrichment's. */
function handledStreams(cls: ClassDeclaration): Set<string> {
  const streams = new Set<string>();
  for (const decorator of cls.getDecorators()) {
    const { input, inputs } = staticOptions(decorator);
    for (const stream of [input, ...(Array.isArray(inputs) ? inputs : [])]) {
      if (typeof stream === 'string') streams.add(stream);
    }
  }
  for (const method of cls.getMethods()) {
    for (const decorator of method.getDecorators()) {
      const arg = decorator.getArguments()[0];
      if (decorator.getName() === 'ProcessElement' && arg && Node.isStringLiteral(arg)) {
        streams.add(arg.getLiteralValue());
      }
      const { source } = decorator.getName() === 'AsyncEnrich' ? staticOptions(decorator) : {};
      if (typeof source === 'string') streams.add(source);
    }
  }
  return streams;
}

import type { ClassDeclaration, Decorator, Node, Type } from 'ts-morph';
import type { HandlerNode, JobGraph, SinkNode, SourceNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { locationOf } from './location';
import { readMembers, type MemberAnalysis } from './members';
import { constructorProviders, type ProviderRef } from './providers';
import { readErrorPolicy } from './error-policy';
import { asObject, durationOption, optionNode, stringOption, type StaticObject } from './options';
import { readSelector, selectorText } from './selector';
import { selectorTypeProblem } from './selector-type';
import { describeStatic, type StaticValue } from './static-value';

/** A job read from its class: the plain graph, plus the types the emitters need. */
export interface JobAnalysis {
  readonly graph: JobGraph;
  readonly classDeclaration: ClassDeclaration;
  /** Element type per source name (from the handler reading it). */
  readonly elementTypes: ReadonlyMap<string, Type>;
  /** Injectable classes the job's constructor needs. */
  readonly providers: readonly ProviderRef[];
}

const decoratorsNamed = (cls: ClassDeclaration, name: string) =>
  cls.getDecorators().filter((d) => d.getName() === name);

/** Reads one @StreamJob class. Problems local to the class are reported to `sink`. */
export function analyzeJobClass(cls: ClassDeclaration, sink: DiagnosticsSink): JobAnalysis {
  const jobDecorator = decoratorsNamed(cls, 'StreamJob')[0];
  const className = cls.getName() ?? 'AnonymousJob';
  const jobArgument = jobDecorator.getArguments()[0];
  const jobOptions = asObject(sink.value(jobArgument, '@StreamJob options') ?? {});
  const members = readMembers(cls, sink);
  const sources = decoratorsNamed(cls, 'Source').map((d) => readSource(d, sink, members));
  const sinks = decoratorsNamed(cls, 'Sink').map((d) => readSink(d, sink));
  const operator = readOperator(cls, sink, members);
  const name = stringOption(sink, jobOptions.name, '@StreamJob name', jobDecorator) ?? className;
  const graph: JobGraph = {
    name,
    className,
    classModule: cls.getSourceFile().getFilePath(),
    deadLetters: stringOption(sink, jobOptions.deadLetters, '@StreamJob deadLetters', jobDecorator),
    checkpointIntervalMs: durationOption(
      sink,
      jobOptions.checkpointInterval,
      '@StreamJob checkpointInterval',
      jobDecorator,
    ),
    onError: readErrorPolicy(jobOptions.onError, jobArgument, jobDecorator, sink),
    sources: sources.filter((s): s is SourceNode => s !== undefined),
    sinks: sinks.filter((s): s is SinkNode => s !== undefined),
    operator,
    location: locationOf(cls.getNameNode() ?? cls),
  };
  return {
    graph,
    classDeclaration: cls,
    elementTypes: members.elementTypes,
    providers: constructorProviders(cls, sink),
  };
}

function readSource(
  decorator: Decorator,
  sink: DiagnosticsSink,
  members: MemberAnalysis,
): SourceNode | undefined {
  const [nameArg, optionsArg] = decorator.getArguments();
  const name = stringOption(sink, sink.value(nameArg, '@Source name'), '@Source name', decorator);
  if (name === undefined) return undefined;
  const options = asObject(sink.value(optionsArg, `@Source('${name}') options`) ?? {});
  const where = optionsArg ?? decorator;
  let eventTime: SourceNode['eventTime'];
  if (options.eventTime !== undefined) {
    const elementType = members.elementTypes.get(name);
    const parsed = readSelector(options.eventTime as StaticValue);
    const typeProblem =
      parsed.ok &&
      elementType &&
      selectorTypeProblem(options.eventTime as StaticValue, elementType, 'time', where);
    const selector = typeProblem ? { ok: false as const, reason: typeProblem } : parsed;
    if (selector.ok) {
      eventTime = {
        text: selectorText(selector, members.elementTypeText.get(name)),
        location: locationOf(where),
      };
    } else {
      sink.report(
        'SG1301',
        `eventTime of source "${name}" is not a pure arrow function or field path: ${selector.reason}`,
        selector.node ?? where,
      );
    }
  }
  return {
    name,
    topic: stringOption(sink, options.topic, `@Source('${name}') topic`, where) ?? name,
    eventTime,
    maxOutOfOrdernessMs:
      durationOption(
        sink,
        options.maxOutOfOrderness,
        `@Source('${name}') maxOutOfOrderness`,
        where,
      ) ?? 0,
    idleTimeoutMs: durationOption(
      sink,
      options.idleTimeout,
      `@Source('${name}') idleTimeout`,
      where,
    ),
    partitionedByKey: options.partitionedByKey === true,
    ...readInputLimits(name, options, eventTime !== undefined, where, sink),
    elementType: members.elementTypeRefs.get(name),
    location: locationOf(decorator),
  };
}

/** `maxRecordBytes` and `maxFuture` of a source (SG1002 when invalid). */
function readInputLimits(
  name: string,
  options: StaticObject,
  hasEventTime: boolean,
  where: Node,
  sink: DiagnosticsSink,
): Pick<SourceNode, 'maxRecordBytes' | 'maxFutureMs'> {
  const what = `@Source('${name}')`;
  const bytes = options.maxRecordBytes;
  let maxRecordBytes: number | undefined;
  if (typeof bytes === 'number' && Number.isInteger(bytes) && bytes >= 1) maxRecordBytes = bytes;
  else if (bytes !== undefined) {
    sink.report(
      'SG1002',
      `${what} maxRecordBytes must be a whole number of bytes >= 1, got ${describeStatic(bytes)}`,
      optionNode(where, 'maxRecordBytes') ?? where,
    );
  }
  const maxFutureMs = durationOption(sink, options.maxFuture, `${what} maxFuture`, where);
  if (maxFutureMs !== undefined && !hasEventTime) {
    sink.report('SG1002', `${what} maxFuture only applies to a source with an eventTime`, where);
    return { maxRecordBytes };
  }
  return { maxRecordBytes, maxFutureMs };
}

function readSink(decorator: Decorator, sink: DiagnosticsSink): SinkNode | undefined {
  const [nameArg, optionsArg] = decorator.getArguments();
  const name = stringOption(sink, sink.value(nameArg, '@Sink name'), '@Sink name', decorator);
  if (name === undefined) return undefined;
  const options = asObject(sink.value(optionsArg, `@Sink('${name}') options`) ?? {});
  return {
    name,
    topic:
      stringOption(sink, options.topic, `@Sink('${name}') topic`, optionsArg ?? decorator) ?? name,
    location: locationOf(decorator),
  };
}

function readOperator(
  cls: ClassDeclaration,
  sink: DiagnosticsSink,
  members: MemberAnalysis,
): JobGraph['operator'] {
  const co = decoratorsNamed(cls, 'CoProcess')[0];
  const single = decoratorsNamed(cls, 'KeyedProcess')[0];
  const decorator = co ?? single;
  const [enricher, ...moreEnrichers] = members.enrichers;
  for (const extra of moreEnrichers) {
    sink.report(
      'SG1002',
      `a job has one @AsyncEnrich method; '${extra.method.getName()}' is a second one`,
      extra.decorator,
    );
  }
  if (enricher && decorator) {
    sink.report(
      'SG1002',
      `@AsyncEnrich cannot be combined with @${decorator.getName()} in one job class`,
      enricher.decorator,
    );
  }
  if (!decorator && enricher) {
    reportWithoutKeyedContext({ ...members, handlers: members.handlers }, sink);
    return {
      kind: 'async',
      inputs: [enricher.handler.source],
      output: enricher.output,
      sideOutputs: {},
      handlers: [enricher.handler],
      states: [],
      timers: [],
      limits: enricher.limits,
      lookups: members.lookups,
      location: locationOf(enricher.decorator),
    };
  }
  if (!decorator) {
    reportWithoutKeyedContext(members, sink);
    return undefined;
  }
  for (const lookup of members.lookups) {
    sink.reportAt(
      'SG1002',
      `@LookupTable '${lookup.method}' is only supported in an @AsyncEnrich job for now`,
      lookup.location,
      '@LookupTable'.length,
    );
  }
  const options = asObject(
    sink.value(decorator.getArguments()[0], `@${decorator.getName()} options`) ?? {},
  );
  let inputs: string[];
  if (co) {
    const raw = options.inputs;
    inputs = Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
  } else {
    inputs = typeof options.input === 'string' ? [options.input] : [];
  }
  const sideOutputs: Record<string, string> = {};
  for (const [tag, target] of Object.entries(asObject(options.sideOutputs ?? {}))) {
    if (typeof target === 'string') sideOutputs[tag] = target;
    else sink.report('SG1002', `side output "${tag}" must name a sink (a string)`, decorator);
  }
  return {
    kind: co ? 'coProcess' : 'process',
    inputs,
    output: stringOption(sink, options.output, `@${decorator.getName()} output`, decorator),
    sideOutputs,
    handlers: members.handlers as HandlerNode[],
    states: members.states,
    timers: members.timers,
    lookups: members.lookups,
    location: locationOf(decorator),
  };
}

/** Timers, state and handlers only mean something inside a keyed operator. */
function reportWithoutKeyedContext(members: MemberAnalysis, sink: DiagnosticsSink): void {
  const fix = 'add @CoProcess({ inputs: [...] }) or @KeyedProcess({ input }) to the class';
  for (const t of members.timers) {
    sink.reportAt(
      'SG1201',
      `@Timer '${t.method}' has no keyed context: ${fix}`,
      t.location,
      '@Timer'.length,
    );
  }
  for (const s of members.states) {
    sink.reportAt(
      'SG1201',
      `@State '${s.property}' has no keyed context: ${fix}`,
      s.location,
      s.property.length,
    );
  }
  for (const h of members.handlers) {
    sink.reportAt(
      'SG1103',
      `@ProcessElement '${h.method}' has no operator to belong to: ${fix}`,
      h.location,
    );
  }
}

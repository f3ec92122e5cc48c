import type { ClassDeclaration, Decorator, Node } from 'ts-morph';
import type { SinkNode, SourceNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { readElementTypeNode, type CarriedType, type ElementType } from './element-type';
import { locationOf } from './location';
import type { MemberAnalysis } from './members';
import { asObject, durationOption, optionAt, stringOption, type StaticObject } from './options';
import { readSelector, selectorText } from './selector';
import { selectorTypeProblem } from './selector-type';
import { describeStatic, staticValue, type StaticValue } from './static-value';

export const decoratorsNamed = (cls: ClassDeclaration, name: string) =>
  cls.getDecorators().filter((d) => d.getName() === name);

/** The element types sources declare as `@Source<T>('name')`, by source name. */
export function readDeclaredTypes(
  cls: ClassDeclaration,
  sink: DiagnosticsSink,
): Map<string, ElementType> {
  const declared = new Map<string, ElementType>();
  for (const decorator of decoratorsNamed(cls, 'Source')) {
    const typeNode = decorator.getTypeArguments()[0];
    const name = sourceName(decorator);
    if (!typeNode || name === undefined || declared.has(name)) continue;
    const element = readElementTypeNode(typeNode, `@Source('${name}')`, name, sink);
    if (element) declared.set(name, element);
  }
  return declared;
}

/** The name of a `@Source`, when it is a static string (else readSource reports it). */
export function sourceName(decorator: Decorator): string | undefined {
  const nameArg = decorator.getArguments()[0];
  if (!nameArg) return undefined;
  try {
    const name = staticValue(nameArg);
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One `@Source`. `chain` is set when the source feeds stages: event time is read from
 * what comes out of them, as the runtime reads it after the steps (`end` is undefined
 * when a step did not type-check; that was reported).
 */
export function readSource(
  decorator: Decorator,
  sink: DiagnosticsSink,
  members: MemberAnalysis,
  chain?: { readonly end: CarriedType | undefined },
): SourceNode | undefined {
  const [nameArg, optionsArg] = decorator.getArguments();
  const name = stringOption(
    sink,
    sink.value(nameArg, '@Source name'),
    '@Source name',
    nameArg ?? decorator,
  );
  if (name === undefined) return undefined;
  const options = asObject(sink.value(optionsArg, `@Source('${name}') options`) ?? {});
  const where = optionsArg ?? decorator;
  const what = `@Source('${name}')`;
  let eventTime: SourceNode['eventTime'];
  if (options.eventTime !== undefined) {
    const at = optionAt(where, 'eventTime');
    const elementType = chain ? chain.end?.type : members.elementTypes.get(name);
    const selector = readSelector(options.eventTime as StaticValue);
    const typeProblem =
      selector.ok &&
      elementType &&
      selectorTypeProblem(options.eventTime as StaticValue, elementType, 'time', at);
    if (!selector.ok) {
      sink.report(
        'SG1301',
        `eventTime of source "${name}" is not a pure arrow function or field path: ${selector.reason}`,
        selector.node ?? at,
      );
    } else if (typeProblem) {
      sink.report('SG1304', `eventTime of source "${name}": ${typeProblem}`, at);
    } else {
      eventTime = {
        // what a stage gives has no importable name: the selector stays untyped
        text: selectorText(selector, chain ? undefined : members.elementTypeText.get(name)),
        location: locationOf(at),
      };
    }
  }
  return {
    name,
    topic: stringOption(sink, options.topic, `${what} topic`, optionAt(where, 'topic')) ?? name,
    eventTime,
    hasEventTime: options.eventTime !== undefined,
    maxOutOfOrdernessMs:
      durationOption(
        sink,
        options.maxOutOfOrderness,
        `${what} maxOutOfOrderness`,
        optionAt(where, 'maxOutOfOrderness'),
      ) ?? 0,
    idleTimeoutMs: durationOption(
      sink,
      options.idleTimeout,
      `${what} idleTimeout`,
      optionAt(where, 'idleTimeout'),
    ),
    partitionedByKey: options.partitionedByKey === true,
    ...readInputLimits(what, options, options.eventTime !== undefined, where, sink),
    elementType: members.elementTypeRefs.get(name),
    location: locationOf(nameArg ?? decorator),
  };
}

/** `maxRecordBytes` and `maxFuture` of a source (SG1002 when invalid). */
function readInputLimits(
  what: string,
  options: StaticObject,
  hasEventTime: boolean,
  where: Node,
  sink: DiagnosticsSink,
): Pick<SourceNode, 'maxRecordBytes' | 'maxFutureMs'> {
  const bytes = options.maxRecordBytes;
  let maxRecordBytes: number | undefined;
  if (typeof bytes === 'number' && Number.isInteger(bytes) && bytes >= 1) maxRecordBytes = bytes;
  else if (bytes !== undefined) {
    sink.report(
      'SG1002',
      `${what} maxRecordBytes must be a whole number of bytes >= 1, got ${describeStatic(bytes)}`,
      optionAt(where, 'maxRecordBytes'),
    );
  }
  const at = optionAt(where, 'maxFuture');
  const maxFutureMs = durationOption(sink, options.maxFuture, `${what} maxFuture`, at);
  if (maxFutureMs !== undefined && !hasEventTime) {
    sink.report('SG1002', `${what} maxFuture only applies to a source with an eventTime`, at);
    return { maxRecordBytes };
  }
  return { maxRecordBytes, maxFutureMs };
}

export function readSink(decorator: Decorator, sink: DiagnosticsSink): SinkNode | undefined {
  const [nameArg, optionsArg] = decorator.getArguments();
  const name = stringOption(
    sink,
    sink.value(nameArg, '@Sink name'),
    '@Sink name',
    nameArg ?? decorator,
  );
  if (name === undefined) return undefined;
  const options = asObject(sink.value(optionsArg, `@Sink('${name}') options`) ?? {});
  const where = optionsArg ?? decorator;
  const option = (key: 'topic' | 'stream') =>
    stringOption(sink, options[key], `@Sink('${name}') ${key}`, optionAt(where, key));
  const stream = option('stream');
  return {
    name,
    topic: option('topic') ?? name,
    ...(stream === undefined
      ? {}
      : { stream, at: { stream: locationOf(optionAt(where, 'stream')) } }),
    location: locationOf(nameArg ?? decorator),
  };
}

import {
  Node,
  type ClassDeclaration,
  type Decorator,
  type MethodDeclaration,
  type Type,
} from 'ts-morph';
import type {
  LookupNode,
  HandlerNode,
  PublishNode,
  StateKind,
  StateNode,
  TimerNode,
  TypeRef,
} from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { checkJsonType } from './json-type';
import {
  declaredCarried,
  readHandlerElementType,
  type CarriedType,
  type ElementType,
} from './element-type';
import { locationOf } from './location';
import { asObject, durationOption, optionAt, stringOption } from './options';
import type { StaticValue } from './static-value';
import { readEnrichers, readLookups, type EnrichMember } from './async-members';
import { readHandlers, type HandlerScope } from './handlers';
import { unionInputs } from './operator-decorators';
import { readWindowHandler, windowDecorator } from './window-function';

export interface MemberAnalysis {
  readonly handlers: readonly HandlerNode[];
  readonly states: readonly StateNode[];
  readonly timers: readonly TimerNode[];
  readonly elementTypes: ReadonlyMap<string, Type>;
  readonly elementTypeText: ReadonlyMap<string, string>;
  readonly elementTypeRefs: ReadonlyMap<string, TypeRef>;
  readonly enrichers: readonly EnrichMember[];
  readonly lookups: readonly LookupNode[];
}

const STATE_KINDS: Record<string, StateKind> = {
  ValueState: 'value',
  ListState: 'list',
  MapState: 'map',
};

const decorator = (member: { getDecorators(): Decorator[] }, name: string) =>
  member.getDecorators().find((d) => d.getName() === name);

/**
 * Handlers (@ProcessElement + @KeyBy), @Timer methods and @State properties of a job class.
 * `declared` holds the element types the sources declare (`@Source<T>`); a source's
 * element type is its declared one, else the type its handler takes. `streams` holds
 * the types of the stages' output streams, which handlers may read too.
 */
export function readMembers(
  cls: ClassDeclaration,
  sink: DiagnosticsSink,
  declared: ReadonlyMap<string, ElementType>,
  streams: ReadonlyMap<string, CarriedType> = new Map(),
): MemberAnalysis {
  const handlers: HandlerNode[] = [];
  const timers: TimerNode[] = [];
  const elementTypes = new Map<string, Type>();
  const elementTypeText = new Map<string, string>();
  const elementTypeRefs = new Map<string, TypeRef>();
  const record = (source: string, element: ElementType | undefined) => {
    const chosen = declared.get(source) ?? element;
    if (!chosen) return;
    elementTypes.set(source, chosen.type);
    elementTypeText.set(source, chosen.ref.text);
    elementTypeRefs.set(source, chosen.ref);
  };
  for (const [source, element] of declared) record(source, element);
  // what a stage gives has no importable name: selectors on it stay untyped
  for (const [stream, carried] of streams) elementTypes.set(stream, carried.type);
  const carriedBy = (stream: string): CarriedType | undefined => {
    const source = declared.get(stream);
    return source ? declaredCarried(source) : streams.get(stream);
  };

  const scope: HandlerScope = {
    className: cls.getName() ?? 'the class',
    unionInputs: unionInputs(cls),
    carriedBy,
    record,
    typeText: (source) => elementTypeText.get(source),
  };
  for (const method of cls.getMethods()) {
    const processElement = decorator(method, 'ProcessElement');
    const keyBy = decorator(method, 'KeyBy');
    const timer = decorator(method, 'Timer');
    if (keyBy && !processElement) {
      sink.report(
        'SG1301',
        `@KeyBy on '${method.getName()}' needs @ProcessElement on the same method`,
        keyBy,
      );
    }
    if (processElement) handlers.push(...readHandlers(method, processElement, keyBy, scope, sink));
    if (timer) timers.push(readTimer(method, timer, sink));
  }
  const window = windowDecorator(cls);
  if (window) handlers.push(...readWindowHandler(cls, window, scope, sink));
  const enrichers = readEnrichers(cls, sink);
  for (const enricher of enrichers) {
    const source = enricher.handler.source;
    const carried = carriedBy(source);
    const element = readHandlerElementType(enricher.method, source, carried, sink);
    if (!carried) record(source, element);
  }
  return {
    handlers,
    states: readStates(cls, sink),
    timers,
    elementTypes,
    elementTypeText,
    elementTypeRefs,
    enrichers,
    lookups: readLookups(cls, sink),
  };
}

function readTimer(method: MethodDeclaration, timer: Decorator, sink: DiagnosticsSink): TimerNode {
  const domain = sink.value(timer.getArguments()[0], '@Timer domain') ?? 'event';
  if (domain !== 'event' && domain !== 'processing') {
    sink.report(
      'SG1002',
      `@Timer domain must be 'event' or 'processing', not ${JSON.stringify(domain)}`,
      timer,
    );
  }
  const first = method.getParameters()[0];
  if (!first || !first.getType().isNumber()) {
    sink.report(
      'SG1102',
      `timer handler '${method.getName()}' must take the timestamp first: (timestamp: number, ctx: TimerContext<Out>)`,
      first ?? method.getNameNode(),
    );
  }
  return {
    method: method.getName(),
    domain: domain === 'processing' ? 'processing' : 'event',
    location: locationOf(timer),
  };
}

/** `@State({ publish })`: the cache prefix (default: `<Job>.<state>`, filled in by `publishedStates`) and TTL. */
function readPublish(
  sink: DiagnosticsSink,
  value: StaticValue,
  state: string,
  decorator: Decorator,
  stateTtl: StaticValue,
): PublishNode | undefined {
  if (value === undefined) return undefined;
  const where = optionAt(decorator.getArguments()[0] ?? decorator, 'publish');
  const options = asObject(value);
  const prefix = stringOption(sink, options.prefix, '@State publish prefix', where);
  if (prefix !== undefined && /[\s{}]/.test(prefix)) {
    sink.report(
      'SG1404',
      `publish prefix "${prefix}" must not hold whitespace or braces (it starts Redis keys)`,
      where,
    );
  }
  if (stateTtl !== undefined) {
    // state expires when read, so nothing would ever take an expired value out of the cache
    sink.report(
      'SG1404',
      `state '${state}' is published, so it cannot have a ttl (an expired entry would stay in the cache): give publish a ttl instead`,
      optionAt(decorator.getArguments()[0] ?? decorator, 'ttl'),
    );
  }
  return {
    ...(prefix === undefined ? {} : { prefix }),
    ttlMs: durationOption(sink, options.ttl, `@State('${state}') publish ttl`, where),
    location: locationOf(where),
  };
}

function readStates(cls: ClassDeclaration, sink: DiagnosticsSink): StateNode[] {
  const states: StateNode[] = [];
  for (const prop of cls.getProperties()) {
    const state = decorator(prop, 'State');
    if (!state) continue;
    const options = asObject(sink.value(state.getArguments()[0], '@State options') ?? {});
    const type = prop.getType();
    const typeName = (type.getAliasSymbol() ?? type.getSymbol())?.getName() ?? '';
    const kind = STATE_KINDS[typeName];
    if (prop.isReadonly()) {
      sink.report(
        'SG1402',
        `@State property '${prop.getName()}' must not be readonly: the runtime assigns it`,
        prop.getNameNode(),
      );
      continue;
    }
    const where = prop.getTypeNode() ?? prop.getNameNode();
    const written = prop.getTypeNode();
    if (
      written &&
      /^MapState\s*</.test(written.getText()) &&
      Node.isTypeReference(written) &&
      written.getTypeArguments().length === 2
    ) {
      sink.report(
        'SG1402',
        `MapState<V> has string keys: write MapState<${written.getTypeArguments()[1].getText()}>`,
        written,
      );
      continue;
    }
    if (!kind) {
      sink.report(
        'SG1402',
        `@State property '${prop.getName()}' must be typed ValueState<T>, ListState<T> or MapState<V>, not '${type.getText(prop)}'`,
        where,
      );
      continue;
    }
    const valueType = (type.getAliasTypeArguments()[0] ?? type.getTypeArguments()[0]) as
      Type | undefined;
    const problem = valueType
      ? checkJsonType(valueType, where, prop.getName())
      : 'its type argument is missing';
    if (problem) {
      sink.report(
        'SG1401',
        `state '${prop.getName()}' cannot be stored as JSON (${problem}); use plain objects, arrays and primitives, e.g. MapState<V> or ValueState<Record<string, V>> for a map`,
        where,
      );
    }
    const name = stringOption(sink, options.name, '@State name', state) ?? prop.getName();
    states.push({
      property: prop.getName(),
      name,
      kind,
      ttlMs: durationOption(sink, options.ttl, `@State('${prop.getName()}') ttl`, state),
      publish: readPublish(sink, options.publish, name, state, options.ttl),
      location: locationOf(prop.getNameNode()),
    });
  }
  return states;
}

import type { Decorator, MethodDeclaration, Node } from 'ts-morph';
import type { HandlerNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import {
  acceptCarried,
  readHandlerParam,
  type CarriedType,
  type ElementType,
} from './element-type';
import { locationOf } from './location';
import { stringOption } from './options';
import { readSelector, selectorText, type SelectorResult } from './selector';
import { keyTypeOf, selectorTypeProblem } from './selector-type';
import type { StaticValue } from './static-value';

/** What reading a handler needs from the class around it. */
export interface HandlerScope {
  readonly className: string;
  /** The inputs of the class's `@Union`, which a `@ProcessElement()` without a source handles. */
  readonly unionInputs: readonly string[] | undefined;
  /** What a stream carries, when that is known: `@Source<T>`'s type, or what a stage gives. */
  readonly carriedBy: (stream: string) => CarriedType | undefined;
  /** Takes the handler's element type as the type of a source no `@Source<T>` types. */
  readonly record: (source: string, element: ElementType | undefined) => void;
  /** The name generated code gives a source's element type, if it has one. */
  readonly typeText: (source: string) => string | undefined;
}

type Selector = Extract<SelectorResult, { ok: true }>;

/**
 * A `@ProcessElement` method (with its `@KeyBy`) as one handler per input it handles:
 * its source, or every input of a `@Union` for `@ProcessElement()`. Its parameter and
 * key selector are read once, then checked against what each input carries.
 */
export function readHandlers(
  method: MethodDeclaration,
  processElement: Decorator,
  keyBy: Decorator | undefined,
  scope: HandlerScope,
  sink: DiagnosticsSink,
): HandlerNode[] {
  const sources = handledSources(method, processElement, scope, sink);
  if (sources.length === 0) return [];
  const validated = sources.find((s) => !scope.carriedBy(s));
  const param = readHandlerParam(method, sources, sink, validated);
  const selector = keyBy && readKeySelector(keyBy, sink);
  const problems = new Set<string>();
  return sources.map((source) => {
    const carried = scope.carriedBy(source);
    const element = param && acceptCarried(method, param, source, carried, sink);
    if (!carried) scope.record(source, element);
    // a handler that does not take its stream's type is reported; its key is not checked
    const elementType = element && (carried?.type ?? element.type);
    let key: HandlerNode['key'];
    let keyType: string | undefined;
    if (selector) {
      const { value, parsed, at } = selector;
      const problem = elementType && selectorTypeProblem(value, elementType, 'key', at);
      if (problem) {
        // one @KeyBy of several inputs of one type has one problem, reported once
        if (!problems.has(problem))
          sink.report('SG1304', `@KeyBy of '${method.getName()}': ${problem}`, at);
        problems.add(problem);
      } else {
        key = { text: selectorText(parsed, scope.typeText(source)), location: locationOf(at) };
        keyType = elementType && keyTypeOf(value, elementType, at);
      }
    }
    return {
      method: method.getName(),
      source,
      key,
      hasKeyBy: !!keyBy,
      keyType,
      location: locationOf(processElement),
    };
  });
}

/** The inputs a handler handles: the source it names, or every input of the class's @Union. */
function handledSources(
  method: MethodDeclaration,
  processElement: Decorator,
  scope: HandlerScope,
  sink: DiagnosticsSink,
): string[] {
  const arg = processElement.getArguments()[0];
  if (!arg) {
    if (scope.unionInputs) return [...new Set(scope.unionInputs)];
    sink.report(
      'SG1103',
      `@ProcessElement() without a source handles every input of a @Union, and ${scope.className} is not one: name the source '${method.getName()}' handles, like @ProcessElement('events')`,
      processElement,
    );
    return [];
  }
  const what = '@ProcessElement source';
  const source = stringOption(sink, sink.value(arg, what), what, processElement);
  return source === undefined ? [] : [source];
}

/** A `@KeyBy` selector that is pure (SG1301 otherwise), with where it is written. */
function readKeySelector(
  keyBy: Decorator,
  sink: DiagnosticsSink,
): { readonly value: StaticValue; readonly parsed: Selector; readonly at: Node } | undefined {
  const at = keyBy.getArguments()[0];
  const value = sink.value(at, '@KeyBy selector');
  if (!at || value === undefined) return undefined;
  const parsed = readSelector(value);
  if (!parsed.ok) {
    sink.report(
      'SG1301',
      `@KeyBy must be a pure arrow function or a field path: ${parsed.reason}`,
      parsed.node ?? at,
    );
    return undefined;
  }
  return { value, parsed, at };
}

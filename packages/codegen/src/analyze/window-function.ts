import { Node, type ClassDeclaration, type Decorator, type MethodDeclaration } from 'ts-morph';
import type { HandlerNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { acceptCarried, readElementTypeNode, readHandlerElementType } from './element-type';
import type { HandlerScope } from './handlers';
import { checkJsonType } from './json-type';
import { locationOf } from './location';
import { optionAt, staticOptions } from './options';
import { readSelector, selectorText } from './selector';
import { keyTypeOf, selectorTypeProblem } from './selector-type';

const AGGREGATE = ['createAccumulator', 'add', 'result'] as const;

/**
 * Member decorators of keyed functions a window class cannot have (a `@LookupTable` or
 * `@AsyncEnrich` there is reported as for any keyed operator: SG1002, SG1104).
 */
const KEYED_MEMBERS = ['State', 'Timer', 'ProcessElement', 'KeyBy'];

/** The class's `@Window`, if it is a window function. */
export const windowDecorator = (cls: ClassDeclaration): Decorator | undefined =>
  cls.getDecorators().find((d) => d.getName() === 'Window');

/**
 * The one handler of a `@Window` class, for its input: keyed by the `key` option (a
 * pure selector fitting the element type: SG1301, SG1304; none with `sameKey`, SG1302
 * when neither), its element type read from the function: `add(element, acc)` of an
 * aggregate, or `process(elements: readonly T[], window)` (SG1102 when it does not take
 * what the stream carries). The function's shape (SG2102), its accumulator's types
 * (SG2103) and members a window class cannot have (SG2104) are checked here too.
 */
export function readWindowHandler(
  cls: ClassDeclaration,
  decorator: Decorator,
  scope: HandlerScope,
  sink: DiagnosticsSink,
): HandlerNode[] {
  reportKeyedMembers(cls, sink);
  const where = decorator.getArguments()[0] ?? decorator;
  const options = staticOptions(decorator);
  const input = typeof options.input === 'string' ? options.input : undefined;
  if (input === undefined) return [];
  const method = windowMethod(cls, decorator, options.session !== undefined, sink);
  // a function it cannot read is reported; its input is not also without a handler
  if (!method)
    return [{ method: 'process', source: input, hasKeyBy: true, location: locationOf(decorator) }];
  const carried = scope.carriedBy(input);
  const element =
    method.getName() === 'add'
      ? readHandlerElementType(method, input, carried, sink)
      : readProcessElementType(method, input, scope, sink);
  if (!carried) scope.record(input, element);
  const elementType = element && (carried?.type ?? element.type);
  const handler = {
    method: method.getName(),
    source: input,
    // a missing key is reported here, in the words of @Window (SG1302)
    hasKeyBy: options.key !== undefined || options.sameKey !== true,
    location: locationOf(decorator),
  };
  if (options.key === undefined) {
    if (options.sameKey !== true)
      sink.report(
        'SG1302',
        `@Window needs key: what its windows are per, like key: 'userId' or key: (e) => e.userId (a keyed stage may say sameKey: true instead)`,
        where,
      );
    return [handler];
  }
  const at = optionAt(where, 'key');
  const parsed = readSelector(options.key);
  if (!parsed.ok) {
    sink.report(
      'SG1301',
      `@Window key must be a pure arrow function or a field path: ${parsed.reason}`,
      parsed.node ?? at,
    );
    return [handler];
  }
  const problem = elementType && selectorTypeProblem(options.key, elementType, 'key', at);
  if (problem) {
    sink.report('SG1304', `@Window key: ${problem}`, at);
    return [handler];
  }
  return [
    {
      ...handler,
      key: { text: selectorText(parsed, scope.typeText(input)), location: locationOf(at) },
      keyType: elementType && keyTypeOf(options.key, elementType, at),
    },
  ];
}

/**
 * `add` of an aggregate (with `createAccumulator` and `result`; `merge` for sessions),
 * or `process` of a full-window function; SG2102 when the class is neither.
 */
function windowMethod(
  cls: ClassDeclaration,
  decorator: Decorator,
  session: boolean,
  sink: DiagnosticsSink,
): MethodDeclaration | undefined {
  const name = cls.getName() ?? 'the class';
  const process = cls.getMethod('process');
  const present = AGGREGATE.filter((m) => cls.getMethod(m));
  // a full-window function may have a helper named like an aggregate's method
  if (process && !cls.getMethod('createAccumulator')) {
    reportAsync(cls, ['process'], sink);
    return process;
  }
  if (present.length === 0) {
    sink.report(
      'SG2102',
      `@Window class ${name} is neither an aggregate (createAccumulator, add, result; merge for sessions) nor a full-window function (process(elements, window)): implement WindowAggregate or WindowProcess`,
      decorator,
    );
    return undefined;
  }
  const missing = AGGREGATE.filter((m) => !cls.getMethod(m));
  if (missing.length > 0) {
    sink.report(
      'SG2102',
      `aggregate ${name} lacks ${missing.join(', ')}: a window aggregate has createAccumulator(), add(element, acc) and result(acc, window)`,
      cls.getMethod(present[0])!.getNameNode(),
    );
    return undefined;
  }
  if (session && !cls.getMethod('merge')) {
    sink.report(
      'SG2102',
      `session windows merge when an element bridges two sessions, so aggregate ${name} needs merge(a, b)`,
      cls.getNameNode() ?? decorator,
    );
  }
  checkAccumulator(cls, sink);
  reportAsync(cls, ['createAccumulator', 'add', 'merge', 'result'], sink);
  return cls.getMethod('add');
}

/** Window functions run synchronously: an async method would emit a promise (SG2102). */
function reportAsync(cls: ClassDeclaration, names: readonly string[], sink: DiagnosticsSink): void {
  for (const name of names) {
    const method = cls.getMethod(name);
    if (!method) continue;
    if (method.isAsync() || method.getReturnType().getSymbol()?.getName() === 'Promise')
      sink.report(
        'SG2102',
        `window function ${name} returns a promise; windows fire synchronously, so ${name} must return its value`,
        method.getNameNode(),
      );
  }
}

/** `createAccumulator`, `add`, `merge` and `result` agree on the accumulator type (SG2103). */
function checkAccumulator(cls: ClassDeclaration, sink: DiagnosticsSink): void {
  const add = cls.getMethodOrThrow('add');
  const accParam = add.getParameters()[1];
  if (!accParam) {
    sink.report(
      'SG2103',
      `add must take the accumulator second: add(element, acc): Acc`,
      add.getNameNode(),
    );
    return;
  }
  const acc = accParam.getType();
  const text = acc.getText(accParam);
  const notJson = checkJsonType(acc, accParam, 'accumulator');
  if (notJson) {
    sink.report(
      'SG2103',
      `the accumulator '${text}' cannot be kept as JSON (${notJson}): window state is JSON, so use plain objects, arrays and primitives (a Record for a set)`,
      accParam,
    );
  }
  const expect = (node: Node, type: ReturnType<Node['getType']>, what: string) => {
    if (type.isAssignableTo(acc)) return;
    sink.report(
      'SG2103',
      `${what} is '${type.getText(node)}', but add takes the accumulator as '${text}'`,
      node,
    );
  };
  const create = cls.getMethodOrThrow('createAccumulator');
  expect(create.getNameNode(), create.getReturnType(), 'createAccumulator() returns a value that');
  expect(add.getNameNode(), add.getReturnType(), 'add returns a value that');
  const merge = cls.getMethod('merge');
  if (merge) {
    expect(merge.getNameNode(), merge.getReturnType(), 'merge returns a value that');
    for (const param of merge.getParameters().slice(0, 2)) {
      if (!acc.isAssignableTo(param.getType()))
        sink.report(
          'SG2103',
          `merge takes '${param.getType().getText(param)}', but the accumulator is '${text}'`,
          param,
        );
    }
  }
  const result = cls.getMethodOrThrow('result');
  const resultAcc = result.getParameters()[0];
  if (resultAcc && !acc.isAssignableTo(resultAcc.getType())) {
    sink.report(
      'SG2103',
      `result takes '${resultAcc.getType().getText(resultAcc)}', but the accumulator is '${text}'`,
      resultAcc,
    );
  }
}

/** The element type of `process(elements: readonly T[], ...)`: `T`, checked against the stream. */
function readProcessElementType(
  method: MethodDeclaration,
  input: string,
  scope: HandlerScope,
  sink: DiagnosticsSink,
) {
  const typeNode = method.getParameters()[0]?.getTypeNode();
  const inner =
    typeNode && Node.isTypeOperatorTypeNode(typeNode) ? typeNode.getTypeNode() : typeNode;
  const elementNode =
    inner && Node.isArrayTypeNode(inner)
      ? inner.getElementTypeNode()
      : inner &&
          Node.isTypeReference(inner) &&
          /^(Readonly)?Array$/.test(inner.getTypeName().getText())
        ? inner.getTypeArguments()[0]
        : undefined;
  const carried = scope.carriedBy(input);
  if (!elementNode) {
    // written otherwise (Iterable<T>, an alias): checked by its type when the stream's is known
    const param = method.getParameters()[0];
    const type = param?.getType();
    const element = type && (type.getArrayElementType() ?? type.getTypeArguments()[0]);
    if (carried && element) {
      if (!carried.type.isAssignableTo(element))
        sink.report(
          'SG1102',
          `process takes elements of '${element.getText(param)}', but stream "${input}" carries '${carried.text}' (${carried.origin})`,
          param!,
        );
      return undefined;
    }
    sink.report(
      'SG1102',
      `process of a full-window function takes the window's elements first: process(elements: readonly T[], window: WindowBounds)`,
      param ?? method.getNameNode(),
    );
    return undefined;
  }
  const element = readElementTypeNode(
    elementNode,
    `process of ${scope.className}`,
    input,
    sink,
    !carried,
  );
  return element && acceptCarried(method, element, input, carried, sink);
}

/** State, timers and handlers belong to keyed process functions; a window keeps its own state (SG2104). */
function reportKeyedMembers(cls: ClassDeclaration, sink: DiagnosticsSink): void {
  const name = cls.getName() ?? 'the class';
  for (const member of [...cls.getMethods(), ...cls.getProperties()]) {
    for (const d of member.getDecorators()) {
      if (!KEYED_MEMBERS.includes(d.getName())) continue;
      sink.report(
        'SG2104',
        `@${d.getName()} on '${member.getName()}': window class ${name} keeps its windows' state and timers itself, and its key is @Window({ key }); for state or timers of your own, use a @KeyedProcess stage`,
        d,
      );
    }
  }
}

import { Node, type ClassDeclaration, type Decorator } from 'ts-morph';
import type { HandlerNode, OperatorNode, SourceLocation } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { locationOf } from './location';
import type { MemberAnalysis } from './members';
import { operatorDecorators } from './operator-decorators';
import { asObject, optionAt, optionNode, stringOption } from './options';
import { readWindowOptions } from './window-options';

/**
 * The class's operator. A class is one operator: a second @CoProcess, @KeyedProcess or
 * @Union is an error (SG1104), never silently dropped; the first one written is read.
 */
export function readOperator(
  cls: ClassDeclaration,
  sink: DiagnosticsSink,
  members: MemberAnalysis,
): OperatorNode | undefined {
  const [decorator, ...extra] = operatorDecorators(cls);
  for (const second of extra) {
    const { line } = locationOf(decorator);
    sink.report(
      'SG1104',
      `a class is one operator: @${second.getName()} is a second operator decorator on ${cls.getName()}, after @${decorator.getName()} on line ${line}; remove one`,
      second,
    );
  }
  const [enricher, ...moreEnrichers] = members.enrichers;
  for (const more of moreEnrichers) {
    sink.report(
      'SG1104',
      `a job has one @AsyncEnrich method; '${more.method.getName()}' is a second one`,
      more.decorator,
    );
  }
  if (enricher && decorator) {
    sink.report(
      'SG1104',
      `@AsyncEnrich cannot be combined with @${decorator.getName()} in one job class`,
      enricher.decorator,
    );
  }
  if (!decorator && enricher) {
    reportWithoutKeyedContext({ ...members, handlers: members.handlers }, sink);
    const options = enricher.decorator.getArguments()[0];
    return {
      kind: 'async',
      inputs: [enricher.handler.source],
      output: enricher.output,
      sideOutputs: {},
      at: {
        inputs: [locationOf(optionAt(options ?? enricher.decorator, 'source'))],
        output: atOption(options, 'output'),
        sideOutputs: {},
      },
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
    reportMisplacedLookups(members, sink);
    return undefined;
  }
  return readKeyedOperator(decorator, sink, members);
}

const KINDS: Record<string, 'process' | 'coProcess' | 'union'> = {
  KeyedProcess: 'process',
  Window: 'process',
  CoProcess: 'coProcess',
  Union: 'union',
};

function readKeyedOperator(
  decorator: Decorator,
  sink: DiagnosticsSink,
  members: MemberAnalysis,
): OperatorNode {
  reportMisplacedLookups(members, sink);
  const kind = KINDS[decorator.getName()];
  const optionsArg = decorator.getArguments()[0];
  const where = optionsArg ?? decorator;
  const options = asObject(sink.value(optionsArg, `@${decorator.getName()} options`) ?? {});
  const inputs: string[] = [];
  const inputsAt: SourceLocation[] = [];
  if (kind !== 'process') {
    const raw = options.inputs;
    const nodes = optionNode(optionsArg, 'inputs');
    const elements = nodes && Node.isArrayLiteralExpression(nodes) ? nodes.getElements() : [];
    (Array.isArray(raw) ? raw : []).forEach((input, i) => {
      if (typeof input !== 'string') return;
      inputs.push(input);
      inputsAt.push(locationOf(elements[i] ?? where));
    });
  } else if (typeof options.input === 'string') {
    inputs.push(options.input);
    inputsAt.push(locationOf(optionAt(where, 'input')));
  }
  const sideOutputs: Record<string, string> = {};
  const sideOutputsAt: Record<string, SourceLocation> = {};
  for (const [tag, target] of Object.entries(asObject(options.sideOutputs ?? {}))) {
    const at = optionAt(where, ['sideOutputs', tag]);
    if (typeof target === 'string') {
      sideOutputs[tag] = target;
      sideOutputsAt[tag] = locationOf(at);
    } else sink.report('SG1002', `side output "${tag}" must name a sink (a string)`, at);
  }
  const window = decorator.getName() === 'Window' ? readWindowOptions(decorator, sink) : undefined;
  const late = options.lateElements;
  if (late !== undefined && late !== 'process' && late !== 'sideOutput') {
    sink.report(
      'SG1002',
      `lateElements must be 'sideOutput' or 'process', not ${JSON.stringify(late)}`,
      optionAt(where, 'lateElements'),
    );
  } else if (late === 'process' && window) {
    sink.report(
      'SG1002',
      "lateElements: 'process' is not for a window, which judges lateness itself: use allowedLateness",
      optionAt(where, 'lateElements'),
    );
  }
  return {
    kind,
    ...(window ? { window } : {}),
    ...(late === 'process' && !window ? { processLate: true as const } : {}),
    inputs,
    output: stringOption(
      sink,
      options.output,
      `@${decorator.getName()} output`,
      optionAt(where, 'output'),
    ),
    sideOutputs,
    at: { inputs: inputsAt, output: atOption(optionsArg, 'output'), sideOutputs: sideOutputsAt },
    handlers: members.handlers as HandlerNode[],
    states: members.states,
    timers: members.timers,
    lookups: members.lookups,
    location: locationOf(decorator),
  };
}

const atOption = (options: Node | undefined, name: string) => {
  const node = optionNode(options, name);
  return node && locationOf(node);
};

/** A lookup table is read by an enrichment or by the steps of a chain stage, nothing else. */
function reportMisplacedLookups(members: MemberAnalysis, sink: DiagnosticsSink): void {
  for (const lookup of members.lookups) {
    sink.reportAt(
      'SG1002',
      `@LookupTable '${lookup.method}' is only supported in an @AsyncEnrich job or a @Chain stage for now: move it, with the step that reads its table, to a @Chain stage listed in @StreamJob({ stages })`,
      lookup.location,
      '@LookupTable'.length,
    );
  }
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

import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import type { JobGraph, OperatorNode, SourceLocation } from '../model/job-graph';
import { didYouMean } from '../analyze/near-name';
import { invalidName, list, RUNTIME_NAME } from './name-list';
import { sourceOfStream } from '../model/streams';
import { checkKeyTypes } from './validate-key-types';

/** How a list of the job's streams is introduced: plain sources, or streams when it has stages. */
const streamsWord = (job: JobGraph) => (job.stages.length > 0 ? 'streams' : 'sources');

/** The keyed operator: its inputs, a handler per input, keys of one type, event time, timers, state. */
export function validateOperator(
  job: JobGraph,
  sources: ReadonlySet<string>,
  sink: DiagnosticsSink,
): void {
  const op = job.operator;
  if (!op) return;
  if (op.kind === 'async') return validateAsync(job, op, sources, sink);
  const decorator = `@${operatorDecorator(op)}`;
  checkInputCount(op, sink);
  // a stage output no source reaches is reported by validateStages
  const unconnected = (input: string) =>
    job.stages.some((s) => s.output === input) && sourceOfStream(job, input) === undefined;
  const unkeyed = new Set<string>();
  const inputOf = new Map<string, string>();
  op.inputs.forEach((input, i) => {
    if (op.inputs.indexOf(input) !== i) return; // listed twice: reported
    const from = sourceOfStream(job, input);
    const source = job.sources.find((s) => s.name === from);
    if (!source && unconnected(input)) return;
    const first = from === undefined ? undefined : inputOf.get(from);
    if (first !== undefined) {
      sink.reportAt(
        'SG1101',
        `${decorator} input "${input}" comes from source "${from}", as input "${first}" does: the elements of one source feed one input; read one branch and tell the elements apart in its handler`,
        op.at.inputs[i] ?? op.location,
      );
      return;
    }
    if (from !== undefined) inputOf.set(from, input);
    if (!source) {
      sink.reportAt(
        'SG1601',
        `${decorator} input "${input}" is not a declared source (${streamsWord(job)}: ${list(sources)})${didYouMean(input, sources)}`,
        op.at.inputs[i] ?? op.location,
      );
      return;
    }
    checkInputHandler(op, input, decorator, op.at.inputs[i] ?? op.location, sink, {
      reported: unkeyed,
    });
    if (!source.hasEventTime) {
      sink.reportAt(
        'SG1303',
        `source "${source.name}" feeds a keyed operator${input === source.name ? '' : ` (as stream "${input}")`} but has no eventTime; add eventTime: (e) => e.ts to @Source('${source.name}')`,
        source.location,
      );
    }
  });
  for (const handler of op.handlers) {
    if (!op.inputs.includes(handler.source)) {
      const known = sources.has(handler.source);
      sink.reportAt(
        known ? 'SG1103' : 'SG1601',
        known
          ? `@ProcessElement('${handler.source}') reads a source that is not an input of ${decorator}`
          : `@ProcessElement('${handler.source}') refers to unknown source "${handler.source}" (${streamsWord(job)}: ${list(sources)})${didYouMean(handler.source, sources)}`,
        handler.location,
      );
    }
  }
  const readSources = new Set(op.inputs.map((input) => sourceOfStream(job, input)));
  for (const source of job.sources) {
    if (!readSources.has(source.name) && !op.inputs.some(unconnected)) {
      sink.reportAt(
        'SG1103',
        `source "${source.name}" is not an input of ${decorator}; read it or remove it`,
        source.location,
      );
    }
  }
  checkKeyTypes(op, decorator, sink);
  checkTimersAndState(op, sink);
}

/**
 * A process reads one input, a co-process two different ones, a union two or more,
 * each listed once (SG1101).
 */
function checkInputCount(op: OperatorNode, sink: DiagnosticsSink): void {
  if (op.kind === 'union') {
    if (new Set(op.inputs).size < 2) {
      sink.reportAt(
        'SG1101',
        `@Union needs two or more different inputs, like inputs: ['web', 'app']; got ${list(op.inputs)}`,
        op.location,
      );
    }
    op.inputs.forEach((input, i) => {
      if (op.inputs.indexOf(input) === i) return;
      sink.reportAt(
        'SG1101',
        `@Union input "${input}" is listed twice; list each stream once`,
        op.at.inputs[i] ?? op.location,
      );
    });
    return;
  }
  const expected = op.kind === 'coProcess' ? 2 : 1;
  if (op.inputs.length === expected && new Set(op.inputs).size === expected) return;
  sink.reportAt(
    'SG1101',
    op.kind === 'coProcess'
      ? `@CoProcess needs exactly two different inputs, like inputs: ['left', 'right']; got ${list(op.inputs)}`
      : `@KeyedProcess needs its input, like input: 'events'`,
    op.location,
  );
}

const DECORATOR_OF: Record<OperatorNode['kind'], string> = {
  process: 'KeyedProcess',
  coProcess: 'CoProcess',
  union: 'Union',
  async: 'AsyncEnrich',
};

/** The name of the decorator that makes an operator, as messages name it. */
export const operatorDecorator = (op: OperatorNode) =>
  op.window ? 'Window' : DECORATOR_OF[op.kind];

/**
 * A keyed input has one handler (SG1101), and the handler says what its key is (SG1302,
 * once per method: `reported` holds the methods already told, across a union's inputs),
 * unless the input is read under the key it was emitted with (`sameKey`: a keyed stage
 * whose @KeyBy is reported as SG2007 instead).
 */
export function checkInputHandler(
  op: OperatorNode,
  input: string,
  reader: string,
  at: SourceLocation,
  sink: DiagnosticsSink,
  options: { readonly reported?: Set<string>; readonly sameKey?: boolean } = {},
): void {
  const reported = options.reported ?? new Set<string>();
  const handlers = op.handlers.filter((h) => h.source === input);
  if (handlers.length === 0) {
    sink.reportAt(
      'SG1101',
      `${reader} input "${input}" has no handler: add a method with @ProcessElement('${input}')`,
      at,
    );
  } else if (handlers.length > 1) {
    sink.reportAt(
      'SG1101',
      `input "${input}" has ${handlers.length} @ProcessElement handlers; keep one`,
      handlers[1].location,
    );
  }
  for (const handler of handlers) {
    if (!handler.hasKeyBy && !options.sameKey && !reported.has(handler.method)) {
      reported.add(handler.method);
      sink.reportAt(
        'SG1302',
        `handler '${handler.method}' of keyed input "${input}" needs @KeyBy(...) to say what its key is`,
        handler.location,
      );
    }
  }
}

/** One timer per time domain (SG1202); state names the runtime accepts, each once (SG1002, SG1403). */
export function checkTimersAndState(op: OperatorNode, sink: DiagnosticsSink): void {
  for (const domain of ['event', 'processing'] as const) {
    const timers = op.timers.filter((t) => t.domain === domain);
    for (const extra of timers.slice(1)) {
      sink.reportAt(
        'SG1202',
        `a second @Timer('${domain}') handler; one per time domain (see '${timers[0].method}')`,
        extra.location,
      );
    }
  }
  const names = new Set<string>();
  for (const state of op.states) {
    if (!RUNTIME_NAME.test(state.name))
      sink.reportAt('SG1002', invalidName('state name', state.name), state.location);
    if (names.has(state.name))
      sink.reportAt('SG1403', `state name "${state.name}" is used twice`, state.location);
    names.add(state.name);
  }
}

function validateAsync(
  job: JobGraph,
  op: OperatorNode,
  sources: ReadonlySet<string>,
  sink: DiagnosticsSink,
): void {
  const input = op.inputs[0];
  if (!sources.has(input)) {
    sink.reportAt(
      'SG1601',
      `@AsyncEnrich source "${input}" is not a declared source (${streamsWord(job)}: ${list(sources)})${didYouMean(input, sources)}`,
      op.at.inputs[0] ?? op.location,
    );
  }
  const from = sourceOfStream(job, input);
  for (const extra of job.sources.filter((s) => s.name !== from)) {
    sink.reportAt(
      'SG1103',
      `source "${extra.name}" is not read: @AsyncEnrich reads "${input}" only`,
      extra.location,
    );
  }
}

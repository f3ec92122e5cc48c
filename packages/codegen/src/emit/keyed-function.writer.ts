import type { CodeBlockWriter } from 'ts-morph';
import type { JobGraph, OperatorNode, WindowNode } from '../model/job-graph';
import { keyedStagesInOrder } from '../model/streams';
import { q, stringRecord } from './naming';

/**
 * `keyedStages`, in the order the stream flows through them: each keyed by its
 * handler's `@KeyBy` (`key`), or `sameKey: true` under the key its input was emitted
 * with, its function built from a fresh instance of its class per task, as the
 * operator's is from the job class.
 */
export function writeKeyedStages(w: CodeBlockWriter, graph: JobGraph): void {
  w.writeLine('keyedStages: [');
  w.indent(() => {
    for (const stage of keyedStagesInOrder(graph)) {
      const key = stage.process.handlers.find((h) => h.source === stage.input)?.key;
      // reported as SG1302 / SG1301 / SG1304 (SG2007 with sameKey), and nothing is
      // emitted from a job with diagnostics
      if (stage.sameKey ? key : !key)
        throw new Error(`keyed stage "${stage.id}" needs exactly one of @KeyBy and sameKey`);
      w.writeLine('{');
      w.indent(() => {
        w.writeLine(`kind: 'process',`);
        w.writeLine(`id: ${q(stage.id)},`);
        w.writeLine(`input: ${q(stage.input)},`);
        if (stage.output !== undefined) w.writeLine(`output: ${q(stage.output)},`);
        w.writeLine(stage.sameKey ? 'sameKey: true,' : `key: ${key?.text},`);
        const side = Object.entries(stage.process.sideOutputs);
        if (side.length > 0) w.writeLine(`sideOutputs: ${stringRecord(side)},`);
        writeKeyedFunction(w, stage.process, 'stage', `createStage(${stage.className})`);
      });
      w.writeLine('},');
    }
  });
  w.writeLine('],');
}

/**
 * `create` of a keyed (co-)process or union function: one class instance (`instance`,
 * made by `make`), its @State properties opened, its handlers and @Timer methods called.
 */
export function writeKeyedFunction(
  w: CodeBlockWriter,
  op: OperatorNode,
  instance: string,
  make: string,
): void {
  if (op.window) return writeWindowFunction(w, op.window, make);
  const eventTimer = op.timers.find((t) => t.domain === 'event')?.method;
  const processingTimer = op.timers.find((t) => t.domain === 'processing')?.method;
  w.writeLine('create: async () => {');
  w.indent(() => {
    w.writeLine(`const ${instance} = await ${make};`);
    w.writeLine('return {');
    w.indent(() => {
      w.writeLine('open(ctx) {');
      w.indent(() => {
        for (const s of op.states) {
          const options = s.ttlMs !== undefined ? `, { ttlMs: ${s.ttlMs} }` : '';
          w.writeLine(
            `${instance}[${q(s.property)}] = ctx.${s.kind}State(${q(s.name)}${options});`,
          );
        }
      });
      w.writeLine('},');
      if (op.kind === 'union') writeUnionElement(w, op, instance);
      else {
        op.inputs.forEach((input, i) => {
          const fn = op.kind === 'coProcess' ? `processElement${i + 1}` : 'processElement';
          w.writeLine(`${fn}: ${callHandler(instance, handlerMethod(op, input))},`);
        });
      }
      if (eventTimer || processingTimer) {
        w.writeLine('onTimer: (timestamp, ctx) =>');
        w.indent(() => {
          const call = (m: string | undefined) =>
            m ? `${instance}[${q(m)}](timestamp, ctx)` : 'undefined';
          w.writeLine(
            `ctx.timeDomain === 'event' ? ${call(eventTimer)} : ${call(processingTimer)},`,
          );
        });
      }
    });
    w.writeLine('};');
  });
  w.writeLine('},');
}

/** The method handling `input`; every input has one, or the job has diagnostics and emits nothing. */
function handlerMethod(op: OperatorNode, input: string): string {
  const method = op.handlers.find((h) => h.source === input)?.method;
  if (method === undefined) throw new Error(`input "${input}" has no @ProcessElement handler`);
  return method;
}

/** An element function calling `method` of the instance. */
const callHandler = (instance: string, method: string) =>
  `(value, ctx) => ${instance}[${q(method)}](value, ctx)`;

/**
 * The `processElement` of a union: its one handler of every input, or the handler of
 * the input `ctx.input` names.
 */
function writeUnionElement(w: CodeBlockWriter, op: OperatorNode, instance: string): void {
  const methods = op.inputs.map((input) => handlerMethod(op, input));
  if (new Set(methods).size === 1) {
    w.writeLine(`processElement: ${callHandler(instance, methods[0])},`);
    return;
  }
  w.writeLine('processElement: (value, ctx) => {');
  w.indent(() => {
    op.inputs.forEach((input, i) =>
      w.writeLine(
        `if (ctx.input === ${q(input)}) return ${instance}[${q(methods[i])}](value, ctx);`,
      ),
    );
    w.writeLine('throw new Error(`no @ProcessElement handler for input "${ctx.input}"`);');
  });
  w.writeLine('},');
}

/**
 * `window` and `create` of a `@Window` class: the instance is the window function (an
 * aggregate or a full-window function); the runtime runs it over the windows.
 */
function writeWindowFunction(w: CodeBlockWriter, window: WindowNode, make: string): void {
  const a = window.assigner;
  const assigner =
    a.kind === 'session'
      ? `{ kind: 'session', gapMs: ${a.gapMs} }`
      : a.kind === 'tumbling'
        ? `{ kind: 'tumbling', sizeMs: ${a.sizeMs}, offsetMs: ${a.offsetMs} }`
        : `{ kind: 'sliding', sizeMs: ${a.sizeMs}, slideMs: ${a.slideMs}, offsetMs: ${a.offsetMs} }`;
  w.writeLine(
    `window: { assigner: ${assigner}, time: ${q(window.time)}, allowedLatenessMs: ${window.allowedLatenessMs} },`,
  );
  w.writeLine(`create: () => ${make},`);
}

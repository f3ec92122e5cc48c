import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import type { OperatorNode, SourceLocation } from '../model/job-graph';

interface InputKey {
  readonly input: string;
  readonly method: string;
  readonly type: string;
  readonly at: SourceLocation;
}

/**
 * The inputs of a co-process or a union share key, state and timers, so their @KeyBy
 * give one type (SG1305): the first input's, which each other one is compared with.
 * An input whose key type is unknown (its selector or element type was reported) is
 * left out.
 */
export function checkKeyTypes(op: OperatorNode, decorator: string, sink: DiagnosticsSink): void {
  if (op.kind !== 'coProcess' && op.kind !== 'union') return;
  const keys = [...new Set(op.inputs)].flatMap((input): InputKey[] => {
    const handler = op.handlers.find((h) => h.source === input);
    return handler?.key && handler.keyType
      ? [{ input, method: handler.method, type: handler.keyType, at: handler.key.location }]
      : [];
  });
  const [first, ...others] = keys;
  for (const other of others.filter((k) => k.type !== first.type)) {
    sink.reportAt(
      'SG1305',
      `input "${other.input}" is keyed by ${other.type} ('${other.method}'), but input "${first.input}" by ${first.type} ('${first.method}'): the inputs of ${decorator} share key, state and timers, so every @KeyBy must give one type; convert one, e.g. with String(...)`,
      other.at,
    );
  }
}

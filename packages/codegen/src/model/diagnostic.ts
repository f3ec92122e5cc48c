import type { SourceLocation } from './job-graph';

/** A misuse found at build time, printed as `path:line:col - error SGnnnn: message`. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly location: SourceLocation;
  /** Characters to underline in the code frame (default 1). */
  readonly length?: number;
}

/** Every diagnostic code, with what it means. Codes never change meaning once released. */
export const DIAGNOSTIC_CODES = {
  SG1001: 'decorator argument is not a static value',
  SG1002: 'decorator option is invalid',
  SG1101: '@CoProcess or @Union inputs or handlers are missing',
  SG1102: 'handler is mistyped',
  SG1103: 'job has no operator for its handlers, or handlers for no operator',
  SG1104: 'a class has more than one operator',
  SG1105: 'a stream has no sink: its records would be dropped',
  SG1201: '@Timer without a keyed context',
  SG1202: 'more than one @Timer of the same time domain',
  SG1301: '@KeyBy is not a pure arrow function or field path',
  SG1302: 'keyed input has no @KeyBy',
  SG1303: 'keyed input has no event time',
  SG1304: 'a key or event-time selector does not fit the element type',
  SG1305: 'the inputs of one operator are keyed by different key types',
  SG1401: 'state type cannot be serialized to JSON',
  SG1402: '@State property is not ValueState, ListState or MapState',
  SG1403: 'duplicate state name',
  SG1404: 'a published state has a bad cache prefix, or shares it with another',
  SG1501: 'duplicate source name',
  SG1502: 'duplicate sink name',
  SG1601: 'unknown source',
  SG1602: 'unknown sink',
  SG1701: 'duplicate job name',
  SG1801: 'element type cannot be validated',
  SG1901: 'onError policy is invalid',
  SG2001: 'duplicate stage id',
  SG2002:
    'a stream is not connected: never written, never read, read twice after the operator, or in a cycle',
  SG2003: 'a stage class is misused',
  SG2004:
    'a stage does not read the stream before it: keyed stages follow the operator, each the one before',
  SG2005: 'a keyed stage class is misused',
  SG2006:
    'a sink copying a stream is misused: the stream cannot be copied, or the sink has another role',
  SG2007:
    'sameKey is misused: a @KeyBy beside it, on the job operator, or after an operator with no key',
  SG2101:
    '@Window windows are invalid: none or several kinds, slide above size, offset off the grid, lateness on processing time',
  SG2102:
    'a @Window class is neither an aggregate nor a full-window function, or a session aggregate has no merge',
  SG2103: "a window aggregate's accumulator types do not agree",
  SG2104: 'a @Window class has @State, @Timer, @ProcessElement or @KeyBy',
  SG2201:
    '@ScriptStage settings are invalid: not exactly one of file and redis, or a limit that is not a positive number',
  SG2202: "a @ScriptStage's script file is missing or does not compile",
  SG2203: 'a @ScriptStage class does not implement ScriptFunction<In, Out>',
  SG2204: "a @ScriptStage's In does not take what its input stream carries",
  SG2205:
    'a @ScriptStage does not read a source, or reads one the operator re-keys: its batches cross into the sandbox before any step',
  SG3001: 'a router file is not valid YAML, or not a mapping',
  SG3002: 'a router file has an unknown key or sink setting',
  SG3003: 'a router setting is missing or of the wrong type',
  SG3004: 'unknown sink kind in a router file',
  SG3005: "a router's source type is not an exported object type JSON can carry",
  SG3006: 'duplicate route or router name',
  SG3007: "a route's script file is missing or does not compile",
  SG3101: 'a router expression does not parse',
  SG3102:
    'a router expression does not fit the source type: a field that does not exist, a string compared with a number, ...',
  SG3103: 'a route filter does not give a bool',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

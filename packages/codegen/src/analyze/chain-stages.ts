import {
  Node,
  type ClassDeclaration,
  type MethodDeclaration,
  type Type,
  type TypeNode,
} from 'ts-morph';
import type { ChainStageNode, StepNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { readElementTypeNode, type CarriedType, type ElementType } from './element-type';
import { locationOf } from './location';
import { asObject, optionAt, optionNode, staticOptions, stringOption } from './options';
import { operatorOutputType } from './emitted-type';
import { keyedStageDecorator, type ListedClass } from './keyed-stages';
import { ClassValue } from './static-value';
import { readLookups } from './async-members';
import {
  checkScriptInput,
  readScriptStageClass,
  scriptStageDecorator,
  type ScriptStageClass,
} from './script-stage';

const STEP_DECORATORS: Record<string, StepNode['kind']> = {
  FilterElement: 'filter',
  MapElement: 'map',
  FlatMapElement: 'flatMap',
};

export interface StageAnalysis {
  readonly stages: ChainStageNode[];
  /** Element types of the stages' output streams. */
  readonly streams: Map<string, CarriedType>;
  /** Sources without `@Source<T>` that a stage reads: their type is its first step's parameter. */
  readonly sourceTypes: Map<string, ElementType>;
  /**
   * Per source read by a chain: the type of what comes out of its last stage, or
   * undefined when a step of the chain did not type-check (reported).
   */
  readonly chainEnds: Map<string, CarriedType | undefined>;
  /** The stage classes, for their constructor dependencies. */
  readonly classes: ClassDeclaration[];
  /** The `@KeyedProcess({ id })` classes listed, read by readKeyedStages. */
  readonly keyed: ListedClass[];
  /** Per `@ScriptStage` id: the `Out` its outputs are validated against. */
  readonly scriptOutputs: Map<string, TypeNode>;
}

/**
 * The `@Chain` classes `@StreamJob({ stages })` lists, their steps type-checked along
 * the chain: each step takes what the one before gives (a map's return type, a
 * flatMap's element type), starting from the input stream's element type.
 */
export function readStages(
  jobOptions: Node | undefined,
  sourceNames: readonly string[],
  declared: ReadonlyMap<string, ElementType>,
  sink: DiagnosticsSink,
  /** The operator's output stream and what it emits, for stages after the operator. */
  operatorOutput?: { readonly stream: string; readonly type: CarriedType | undefined },
  /** The streams the job class's handlers read: the branch of a source the operator takes. */
  operatorInputs: ReadonlySet<string> = new Set(),
): StageAnalysis {
  const analysis: StageAnalysis = {
    stages: [],
    streams: new Map(),
    sourceTypes: new Map(),
    chainEnds: new Map(),
    classes: [],
    keyed: [],
    scriptOutputs: new Map(),
  };
  const list = optionNode(jobOptions, 'stages');
  if (!list) return analysis;
  if (!Node.isArrayLiteralExpression(list)) {
    sink.report('SG1002', '@StreamJob stages must be an array of @Chain classes', list);
    return analysis;
  }
  const classes = new Map<ChainStageNode, ClassDeclaration>();
  const scripts = new Map<ChainStageNode, ScriptStageClass>();
  for (const element of list.getElements()) {
    const value = sink.value(element, '@StreamJob stages');
    if (value === undefined) continue;
    if (!(value instanceof ClassValue)) {
      sink.report('SG2003', `@StreamJob stages lists classes, not '${element.getText()}'`, element);
      continue;
    }
    if (keyedStageDecorator(value.declaration)) {
      analysis.keyed.push({ declaration: value.declaration, listed: element });
      continue;
    }
    const script = scriptStageDecorator(value.declaration);
    if (script) {
      const read = readScriptStageClass(value.declaration, script, sink);
      if (read) {
        analysis.stages.push(read.stage);
        scripts.set(read.stage, read);
        if (read.gives) analysis.scriptOutputs.set(read.stage.id, read.gives);
      }
      continue;
    }
    const stage = readStageClass(value.declaration, element, sink);
    if (stage) {
      analysis.stages.push(stage);
      classes.set(stage, value.declaration);
      if (!analysis.classes.includes(value.declaration)) analysis.classes.push(value.declaration);
    }
  }
  // Types flow from the sources along the chains, whatever order the stages are listed in.
  const typeOf = (stream: string, first: FirstReader | undefined) => {
    const known = analysis.streams.get(stream);
    if (known) return known;
    if (stream === operatorOutput?.stream) return operatorOutput.type;
    // a keyed stage's output carries what its class emits (`ElementContext<Out>`)
    const keyed = analysis.keyed.find(
      (k) => staticOptions(keyedStageDecorator(k.declaration)!).output === stream,
    );
    if (keyed) return operatorOutputType(keyed.declaration);
    const source = declared.get(stream) ?? sourceTypeFromStep(stream, first, sourceNames, sink);
    if (!source) return undefined;
    if (!declared.has(stream)) analysis.sourceTypes.set(stream, source);
    const origin = declared.has(stream) ? `@Source<${source.ref.text}>` : `source "${stream}"`;
    return { type: source.type, text: source.ref.text, origin };
  };
  const pending = new Set(analysis.stages);
  for (let progress = true; progress;) {
    progress = false;
    for (const stage of pending) {
      const script = scripts.get(stage);
      const methods = script ? [] : stage.steps.map((s) => methodOf(classes.get(stage)!, s.method));
      const input = typeOf(stage.input, script ? scriptReader(script) : stepReader(methods[0]));
      if (!input) continue;
      pending.delete(stage);
      progress = true;
      const output = script
        ? checkScriptInput(stage, script, input, sink)
        : checkSteps(stage, methods, input, sink);
      // a stream written twice is reported; the first writer's type stands
      if (output && !analysis.streams.has(stage.output)) analysis.streams.set(stage.output, output);
    }
  }
  for (const source of sourceNames) {
    // the branch the operator reads (a stream may feed several stages), else the first
    const reached = reachedFrom(analysis.stages, source);
    const stream = reached.find((s) => operatorInputs.has(s)) ?? firstEnd(analysis.stages, source);
    if (stream !== source) analysis.chainEnds.set(source, analysis.streams.get(stream));
  }
  return analysis;
}

const readerOf = (stages: readonly ChainStageNode[], stream: string) =>
  stages.find((s) => s.input === stream);

/** The end of the chain that follows the first reader of each stream from `source`. */
function firstEnd(stages: readonly ChainStageNode[], source: string): string {
  let stream = source;
  for (let s = readerOf(stages, stream); s; s = readerOf(stages, stream)) {
    stream = s.output;
    if (stream === source) break;
  }
  return stream;
}

/** The streams the stages reading `source`, and those reading their outputs, write. */
function reachedFrom(stages: readonly ChainStageNode[], source: string): string[] {
  const reached = [source];
  for (let i = 0; i < reached.length; i++) {
    for (const stage of stages.filter((s) => s.input === reached[i])) {
      if (!reached.includes(stage.output)) reached.push(stage.output);
    }
  }
  return reached.slice(1);
}

const methodOf = (cls: ClassDeclaration, name: string) => cls.getMethodOrThrow(name);

/** What the first reader of a stream takes: its first step's parameter, or a script stage's `In`. */
interface FirstReader {
  readonly takes: TypeNode | undefined;
  readonly owner: string;
}

const stepReader = (first: MethodDeclaration | undefined): FirstReader | undefined =>
  first && { takes: first.getParameters()[0]?.getTypeNode(), owner: `step '${first.getName()}'` };

const scriptReader = (script: ScriptStageClass): FirstReader => ({
  takes: script.takes,
  owner: `script stage "${script.stage.id}"`,
});

/** A source no `@Source<T>` types: its first reader's parameter type, like a handler's. */
function sourceTypeFromStep(
  stream: string,
  first: FirstReader | undefined,
  sourceNames: readonly string[],
  sink: DiagnosticsSink,
): ElementType | undefined {
  if (!first || !sourceNames.includes(stream)) return undefined;
  // none: reported by checkSteps, or by the script stage
  if (!first.takes) return undefined;
  return readElementTypeNode(first.takes, first.owner, stream, sink);
}

function readStageClass(
  cls: ClassDeclaration,
  listed: Node,
  sink: DiagnosticsSink,
): ChainStageNode | undefined {
  const decorator = cls.getDecorators().find((d) => d.getName() === 'Chain');
  const name = cls.getName() ?? 'anonymous class';
  if (!decorator) {
    sink.report('SG2003', notAStage(cls, name), listed);
    return undefined;
  }
  const optionsArg = decorator.getArguments()[0];
  const where = optionsArg ?? decorator;
  const options = asObject(sink.value(optionsArg, '@Chain options') ?? {});
  const read = (key: 'id' | 'input' | 'output') => {
    const value = stringOption(sink, options[key], `@Chain ${key}`, optionAt(where, key));
    if (value === undefined && options[key] === undefined) {
      sink.report(
        'SG1002',
        `@Chain needs ${key}, like @Chain({ id: 'parse', input: 'raw', output: 'parsed' })`,
        where,
      );
    }
    return value;
  };
  const [id, input, output] = [read('id'), read('input'), read('output')];
  for (const member of ['State', 'Timer', 'ProcessElement', 'KeyBy', 'AsyncEnrich']) {
    const misplaced = [...cls.getMethods(), ...cls.getProperties()]
      .flatMap((m) => m.getDecorators())
      .filter((d) => d.getName() === member);
    const fix =
      member === 'AsyncEnrich'
        ? 'move it to the job class'
        : "make the class a keyed stage with @KeyedProcess({ id, input }), or move it to the job's keyed operator";
    for (const d of misplaced) {
      sink.report(
        'SG2003',
        `@${member} in @Chain stage ${name}, a stage that is not keyed: ${fix}`,
        d,
      );
    }
  }
  const steps: StepNode[] = [];
  const stepsThatLoad = new Set<string>();
  for (const method of cls.getMethods()) {
    const found = method.getDecorators().filter((d) => d.getName() in STEP_DECORATORS);
    if (found.length > 1) {
      sink.report(
        'SG2003',
        `'${method.getName()}' has ${found.length} step decorators; keep one`,
        found[1],
      );
    }
    const loader = method.getDecorators().find((d) => d.getName() === 'LookupTable');
    if (found[0] && loader) {
      stepsThatLoad.add(method.getName());
      sink.report(
        'SG2003',
        `'${method.getName()}' is both a @LookupTable loader and a ${STEP_DECORATORS[found[0].getName()]} step of stage ${name}: a loader fills the table the steps read; make them two methods`,
        loader,
      );
    }
    if (found[0]) {
      steps.push({
        kind: STEP_DECORATORS[found[0].getName()],
        method: method.getName(),
        location: locationOf(found[0]),
      });
    }
  }
  if (steps.length === 0) {
    sink.report(
      'SG2003',
      `@Chain stage ${name} has no steps: mark its methods @FilterElement(), @MapElement() or @FlatMapElement()`,
      decorator,
    );
  }
  const lookups = readLookups(cls, sink, stepsThatLoad);
  if (id === undefined || input === undefined || output === undefined) return undefined;
  return {
    id,
    input,
    output,
    className: name,
    classModule: cls.getSourceFile().getFilePath(),
    steps,
    lookups,
    at: {
      id: locationOf(optionAt(where, 'id')),
      input: locationOf(optionAt(where, 'input')),
      output: locationOf(optionAt(where, 'output')),
    },
    location: locationOf(decorator),
  };
}

/** Why a class listed in `stages` without `@Chain` is not a stage, and what would make it one. */
function notAStage(cls: ClassDeclaration, name: string): string {
  const has = (decorator: string) => cls.getDecorators().some((d) => d.getName() === decorator);
  const listed = `${name} is listed in @StreamJob stages but`;
  if (has('KeyedProcess'))
    return `${listed} its @KeyedProcess has no id: add one, like @KeyedProcess({ id: 'top', input }), to make it a keyed stage`;
  if (has('Union'))
    return `${listed} is a @Union, which only a job's operator can be for now: put @Union on the job class, or make ${name} a keyed stage of one input with @KeyedProcess({ id, input })`;
  return `${listed} is not a stage: add @Chain({ id, input, output }) to it, or @KeyedProcess({ id, input }) for a keyed stage`;
}

/** Checks each step against what reaches it; the type of what leaves the last one. */
function checkSteps(
  stage: ChainStageNode,
  methods: readonly MethodDeclaration[],
  input: CarriedType,
  sink: DiagnosticsSink,
): CarriedType | undefined {
  let current: CarriedType | undefined = input;
  stage.steps.forEach((step, i) => {
    if (!current) return;
    const method = methods[i];
    const param = method.getParameters()[0];
    const typeNode = param?.getTypeNode();
    const what = `${step.kind} step '${step.method}' of stage "${stage.id}"`;
    if (!param || !typeNode) {
      sink.report(
        'SG1102',
        `${what} must declare the type it takes: (element: T)`,
        param ?? method.getNameNode(),
      );
      current = undefined;
      return;
    }
    const takes = typeNode.getType();
    if (!current.type.isAssignableTo(takes)) {
      sink.report(
        'SG1102',
        `${what} takes '${typeNode.getText()}', but receives '${current.text}' (${current.origin})`,
        typeNode,
      );
      current = undefined;
      return;
    }
    const returns = method.getReturnType();
    const at = method.getReturnTypeNode() ?? method.getNameNode();
    const returned = method.getReturnTypeNode()?.getText() ?? returns.getText(method);
    if (returns.getSymbol()?.getName() === 'Promise') {
      sink.report(
        'SG1102',
        `${what} returns a Promise: steps are synchronous (use @AsyncEnrich for calls)`,
        at,
      );
      current = undefined;
    } else if (step.kind === 'filter') {
      const predicate = method.getReturnTypeNode();
      if (predicate && Node.isTypePredicate(predicate) && predicate.getTypeNode()) {
        // `(e: Entry): e is Play` passes on only what it narrows to
        const narrowed = predicate.getTypeNode()!;
        current = {
          type: narrowed.getType(),
          text: narrowed.getText(),
          origin: `stage "${stage.id}"`,
        };
      } else if (!returns.isBoolean() && !returns.isBooleanLiteral()) {
        sink.report('SG1102', `${what} must return a boolean, not '${returned}'`, at);
      }
      // otherwise a filter passes on what it was given, typed as it arrived
    } else if (step.kind === 'map') {
      if (returns.isVoid() || returns.isUndefined()) {
        sink.report('SG1102', `${what} must return the new element, not '${returned}'`, at);
        current = undefined;
      } else current = { type: returns, text: returned, origin: `stage "${stage.id}"` };
    } else {
      const element = iteratedType(returns);
      if (!element) {
        sink.report(
          'SG1102',
          `${what} must return an array or Iterable of elements, not '${returned}'`,
          at,
        );
        current = undefined;
      } else {
        current = { type: element, text: element.getText(method), origin: `stage "${stage.id}"` };
      }
    }
  });
  return current;
}

/** The element type of an array, a readonly array or an Iterable-like type. */
function iteratedType(type: Type): Type | undefined {
  if (type.isArray() || type.isReadonlyArray()) return type.getArrayElementType();
  const name = type.getSymbol()?.getName();
  if (name && ['Iterable', 'IterableIterator', 'Generator', 'Set', 'ReadonlySet'].includes(name)) {
    return type.getTypeArguments()[0];
  }
  return undefined;
}

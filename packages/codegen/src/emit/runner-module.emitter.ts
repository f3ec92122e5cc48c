import { publishedStates } from './published-views';
import { Scope, VariableDeclarationKind, type CodeBlockWriter, type SourceFile } from 'ts-morph';
import type {
  ChainStageNode,
  JobGraph,
  LookupNode,
  OperatorNode,
  SourceNode,
} from '../model/job-graph';
import { buildFile, type GeneratedFile } from './generated-file';
import { mainOutputSink, operatorStreamOf, outputStream, streamSinks } from '../model/streams';
import { writeKeyedFunction, writeKeyedStages } from './keyed-function.writer';
import { camelCase, GENERATED_HEADER, moduleSpecifier, q, stringRecord } from './naming';
import { projectDirArgs } from './project-dir';
import { hasRelativeScriptFile, writeScriptStage } from './script-stage.writer';

export interface RunnerModuleInput {
  readonly graph: JobGraph;
  /** Where the file goes (absolute). */
  readonly path: string;
  /** The validators file of this job (absolute), and the validator name per source. */
  readonly validatorsPath: string;
  readonly validators: ReadonlyMap<string, string>;
  /** Injectable classes the job's constructor needs, with their modules. */
  readonly providers: ReadonlyArray<{ readonly name: string; readonly module: string }>;
  readonly sourceLabel: string;
  /**
   * How the module reaches the project directory (see `projectDirArgs`), for script
   * files; by default as if the project emitted JavaScript beside its sources.
   */
  readonly projectDir?: string;
}

/**
 * `<job>.runner.generated.ts`: the JobSpec of the job (keys, event time, validators,
 * the operator adapter calling the user's class), and a NestJS module whose runner
 * starts the job on bootstrap and stops it (final checkpoint) on shutdown. The user
 * class is a transient provider: one instance per task, constructor dependencies
 * injected by Nest.
 */
export function emitRunnerModule(input: RunnerModuleInput): GeneratedFile {
  const { graph } = input;
  const name = graph.className;
  return buildFile(input.path, GENERATED_HEADER(input.sourceLabel), (file) => {
    addImports(file, input);
    file.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      declarations: [
        {
          name: `${camelCase(graph.name)}Sinks`,
          initializer: `[${graph.sinks.map((s) => q(s.name)).join(', ')}] as const`,
        },
      ],
    });
    file.addFunction({
      isExported: true,
      name: `${camelCase(graph.name)}Spec`,
      docs: [
        hasStageClasses(graph)
          ? `The ${graph.name} job for the runtime; \`create\` makes one ${name} per task, \`createStage\` one instance of a stage class per task.`
          : `The ${graph.name} job for the runtime; \`create\` makes one ${name} per task.`,
      ],
      parameters: [
        { name: 'create', type: `() => ${name} | Promise<${name}>` },
        ...(hasStageClasses(graph)
          ? [
              {
                name: 'createStage',
                type: '<T>(type: Type<T>) => T | Promise<T>',
                initializer: '(type) => new type()',
              },
            ]
          : []),
      ],
      returnType: 'JobSpec',
      statements: (w) =>
        writeSpec(w, graph, input.projectDir ?? projectDirArgs(input.path, (dir) => dir)),
    });
    file.addClass({
      isExported: true,
      name: `${name}Runner`,
      docs: [
        'Starts the job when the application boots; stops it with a final checkpoint on shutdown.',
      ],
      decorators: [{ name: 'Injectable', arguments: [] }],
      implements: ['OnApplicationBootstrap', 'OnApplicationShutdown'],
      properties: [
        { name: 'runner', scope: Scope.Private, type: 'RunningJob | undefined' },
        { name: 'result', scope: Scope.Private, type: 'Promise<RunSummary> | undefined' },
      ],
      ctors: [
        {
          parameters: [
            { name: 'moduleRef', type: 'ModuleRef', scope: Scope.Private, isReadonly: true },
            {
              name: 'bindings',
              type: 'RunBindings',
              scope: Scope.Private,
              isReadonly: true,
              decorators: [{ name: 'Inject', arguments: ['RUN_BINDINGS'] }],
            },
          ],
        },
      ],
      methods: [
        {
          name: 'onApplicationBootstrap',
          returnType: 'void',
          statements: (w) => {
            w.writeLine('this.runner = launchJob({');
            w.indent(() => {
              const resolve = (type: string) =>
                `this.moduleRef.resolve(${type}, ContextIdFactory.create())`;
              w.writeLine(
                hasStageClasses(graph)
                  ? `job: ${camelCase(graph.name)}Spec(() => ${resolve(name)}, (type) => ${resolve('type')}),`
                  : `job: ${camelCase(graph.name)}Spec(() => ${resolve(name)}),`,
              );
              w.writeLine(`sinks: ${camelCase(graph.name)}Sinks,`);
              w.writeLine(
                `topics: { sources: ${topicMap(graph.sources)}, sinks: ${topicMap(graph.sinks)} },`,
              );
              w.writeLine('bindings: this.bindings,');
              if (graph.checkpointIntervalMs !== undefined)
                w.writeLine(`checkpointIntervalMs: ${graph.checkpointIntervalMs},`);
            });
            w.writeLine('});');
            w.writeLine('this.result = this.runner.run();');
          },
        },
        {
          name: 'onApplicationShutdown',
          isAsync: true,
          returnType: 'Promise<void>',
          statements: 'await this.runner?.stop();',
        },
        {
          name: 'finished',
          docs: ['Resolves when the job ended (bounded inputs) or was stopped.'],
          returnType: 'Promise<RunSummary>',
          statements: [
            `if (!this.result) throw new Error('${graph.name} has not started: the application has not bootstrapped');`,
            'return this.result;',
          ],
        },
      ],
    });
    file.addClass({
      isExported: true,
      name: `${name}RunnerModule`,
      decorators: [{ name: 'Module', arguments: ['{}'] }],
      methods: [
        {
          name: 'forRoot',
          isStatic: true,
          docs: [
            'Files bound by name make a bounded run; without bindings the job reads and writes topics.',
          ],
          parameters: [
            {
              name: 'bindings',
              type: 'RunBindings',
              initializer: '{ sourceFiles: {}, sinkFiles: {} }',
            },
          ],
          returnType: 'DynamicModule',
          statements: (w) => {
            w.writeLine('return {');
            w.indent(() => {
              w.writeLine(`module: ${name}RunnerModule,`);
              w.writeLine('providers: [');
              w.indent(() => {
                for (const cls of [name, ...stageClasses(graph)])
                  w.writeLine(`{ provide: ${cls}, useClass: ${cls}, scope: Scope.TRANSIENT },`);
                for (const p of input.providers) w.writeLine(`${p.name},`);
                w.writeLine('{ provide: RUN_BINDINGS, useValue: bindings },');
                w.writeLine(`${name}Runner,`);
              });
              w.writeLine('],');
              w.writeLine(`exports: [${name}Runner],`);
            });
            w.writeLine('};');
          },
        },
      ],
    });
  });
}

function addImports(file: SourceFile, input: RunnerModuleInput): void {
  const { graph } = input;
  file.addImportDeclaration({
    moduleSpecifier: '@nestjs/common',
    namedImports: [
      'Inject',
      'Injectable',
      'Module',
      'Scope',
      'type DynamicModule',
      'type OnApplicationBootstrap',
      'type OnApplicationShutdown',
      ...(hasStageClasses(graph) ? ['type Type'] : []),
    ],
  });
  file.addImportDeclaration({
    moduleSpecifier: '@nestjs/core',
    namedImports: ['ContextIdFactory', 'ModuleRef'],
  });
  file.addImportDeclaration({
    moduleSpecifier: '@stream-gen/runtime',
    namedImports: [
      'launchJob',
      'type RunningJob',
      'type JobSpec',
      'type RunBindings',
      'type RunSummary',
      ...(graph.stages.some((s) => s.script) ? ['scriptStage'] : []),
    ],
  });
  if (hasRelativeScriptFile(graph.stages)) {
    file.addImportDeclaration({ moduleSpecifier: 'node:path', namedImports: ['join'] });
  }
  // One import per module, names sorted: deterministic output.
  const byModule = new Map<string, Set<string>>();
  const add = (module: string, name: string) => {
    const spec = moduleSpecifier(input.path, module);
    if (!byModule.has(spec)) byModule.set(spec, new Set());
    byModule.get(spec)?.add(name);
  };
  add(graph.classModule, graph.className);
  for (const stage of [...classStages(graph), ...graph.keyedStages])
    add(stage.classModule, stage.className);
  for (const p of input.providers) add(p.module, p.name);
  for (const s of graph.sources)
    if (s.elementType?.module) add(s.elementType.module, `type ${s.elementType.text}`);
  for (const [spec, names] of [...byModule].sort(([a], [b]) => a.localeCompare(b))) {
    file.addImportDeclaration({ moduleSpecifier: spec, namedImports: [...names].sort() });
  }
  const validators = [
    ...new Set([
      ...input.validators.values(),
      ...graph.stages.flatMap((s) => s.script?.validatorName ?? []),
    ]),
  ].sort();
  if (validators.length > 0) {
    file.addImportDeclaration({
      moduleSpecifier: moduleSpecifier(input.path, input.validatorsPath),
      namedImports: validators,
    });
  }
  file.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    declarations: [
      { name: 'RUN_BINDINGS', initializer: q(`stream-gen:${graph.name}:run-bindings`) },
    ],
  });
}

function writeSpec(w: CodeBlockWriter, graph: JobGraph, projectDir: string): void {
  w.writeLine('return {');
  w.indent(() => {
    w.writeLine(`name: ${q(graph.name)},`);
    w.writeLine('sources: [');
    w.indent(() => {
      for (const source of graph.sources) writeSource(w, graph, source);
    });
    w.writeLine('],');
    if (graph.stages.length > 0) writeStages(w, graph, projectDir);
    if (graph.operator) writeOperator(w, graph, graph.operator);
    if (graph.keyedStages.length > 0) writeKeyedStages(w, graph);
    w.writeLine('outputs: {');
    const outputs: string[] = [];
    const main = mainOutputSink(graph);
    if (main) outputs.push(`main: ${q(main)}`);
    const side = Object.entries(graph.operator?.sideOutputs ?? {});
    if (side.length > 0) outputs.push(`sideOutputs: ${stringRecord(side)}`);
    if (graph.deadLetters) outputs.push(`deadLetters: ${q(graph.deadLetters)}`);
    const copies = streamSinks(graph);
    if (copies.length > 0) outputs.push(`streams: ${stringRecord(copies)}`);
    w.indent(() => outputs.forEach((o) => w.writeLine(`${o},`)));
    w.writeLine('},');
    if (graph.onError) {
      const { retries, then } = graph.onError;
      w.writeLine(`onError: { retries: ${retries}, then: ${q(then)} },`);
    }
    writeViews(w, graph);
  });
  w.writeLine('};');
}

/** `views`: the states published to a cache (`@State({ publish })`). */
function writeViews(w: CodeBlockWriter, graph: JobGraph): void {
  const views = publishedStates(graph);
  if (views.length === 0) return;
  w.writeLine('views: [');
  w.indent(() => {
    for (const { stage, state, publish, prefix } of views) {
      const ttl = publish.ttlMs === undefined ? '' : `, ttlMs: ${publish.ttlMs}`;
      w.writeLine(`{ stage: ${q(stage)}, state: ${q(state.name)}, prefix: ${q(prefix)}${ttl} },`);
    }
  });
  w.writeLine('],');
}

/** The chain stages that are instances of their class: all but `@ScriptStage`s (whose function is a script). */
const classStages = (graph: JobGraph) => graph.stages.filter((s) => !s.script);

/** The stage classes of the job, each once, in the order they are listed (chains first). */
const stageClasses = (graph: JobGraph) => [
  ...new Set([...classStages(graph), ...graph.keyedStages].map((s) => s.className)),
];

/** Whether the spec takes `createStage`: the job lists stage classes. */
const hasStageClasses = (graph: JobGraph) =>
  classStages(graph).length > 0 || graph.keyedStages.length > 0;

/**
 * `stages`: each a fresh instance of its class per task, its step methods in declared
 * order, with its @LookupTable loaders as the lookups of that instance when it has any.
 */
function writeStages(w: CodeBlockWriter, graph: JobGraph, projectDir: string): void {
  w.writeLine('stages: [');
  w.indent(() => {
    for (const stage of graph.stages) {
      if (stage.script) {
        writeScriptStage(w, stage, stage.script, projectDir);
        continue;
      }
      w.writeLine('{');
      w.indent(() => {
        w.writeLine(`kind: 'chain',`);
        w.writeLine(`id: ${q(stage.id)},`);
        w.writeLine(`input: ${q(stage.input)},`);
        w.writeLine(`output: ${q(stage.output)},`);
        w.writeLine('create: async () => {');
        w.indent(() => {
          w.writeLine(`const stage = await createStage(${stage.className});`);
          if (stage.lookups.length === 0) {
            w.writeLine('return [');
            w.indent(() => writeSteps(w, stage));
            w.writeLine('];');
          } else {
            w.writeLine('return {');
            w.indent(() => {
              w.writeLine('steps: [');
              w.indent(() => writeSteps(w, stage));
              w.writeLine('],');
              writeLookups(w, stage.lookups, 'stage');
            });
            w.writeLine('};');
          }
        });
        w.writeLine('},');
      });
      w.writeLine('},');
    }
  });
  w.writeLine('],');
}

function writeSource(w: CodeBlockWriter, graph: JobGraph, source: SourceNode): void {
  const stream = operatorStreamOf(graph, source.name);
  const handler = graph.operator?.handlers.find((h) => h.source === stream);
  w.writeLine('{');
  w.indent(() => {
    w.writeLine(`name: ${q(source.name)},`);
    if (source.validatorName) w.writeLine(`validate: ${source.validatorName},`);
    if (source.eventTime) {
      w.writeLine('eventTime: {');
      w.indent(() => {
        w.writeLine(`timestamp: ${source.eventTime?.text},`);
        w.writeLine(`maxOutOfOrdernessMs: ${source.maxOutOfOrdernessMs},`);
        if (source.idleTimeoutMs !== undefined)
          w.writeLine(`idleTimeoutMs: ${source.idleTimeoutMs},`);
        if (source.maxFutureMs !== undefined) w.writeLine(`maxFutureMs: ${source.maxFutureMs},`);
      });
      w.writeLine('},');
    }
    if (handler?.key) w.writeLine(`key: ${handler.key.text},`);
    if (source.partitionedByKey) w.writeLine('partitionedByKey: true,');
    if (source.maxRecordBytes !== undefined)
      w.writeLine(`maxRecordBytes: ${source.maxRecordBytes},`);
  });
  w.writeLine('},');
}

function writeOperator(w: CodeBlockWriter, graph: JobGraph, op: OperatorNode): void {
  if (op.kind === 'async') return writeAsyncOperator(w, graph, op);
  w.writeLine('operator: {');
  w.indent(() => {
    w.writeLine(`kind: ${q(op.kind)},`);
    if (outputStream(graph)) w.writeLine(`output: ${q(op.output ?? '')},`);
    w.writeLine(`name: ${q(graph.className)},`);
    if (op.kind === 'process') w.writeLine(`input: ${q(op.inputs[0])},`);
    else w.writeLine(`inputs: [${op.inputs.map(q).join(', ')}],`);
    if (op.processLate) w.writeLine('processLate: true,');
    writeKeyedFunction(w, op, 'job', 'create()');
  });
  w.writeLine('},');
}

function topicMap(items: ReadonlyArray<{ name: string; topic: string }>): string {
  return stringRecord(items.map((i) => [i.name, i.topic]));
}

/** The steps of a chain stage, each calling its method on the stage's instance `stage`. */
function writeSteps(w: CodeBlockWriter, stage: ChainStageNode): void {
  for (const step of stage.steps) {
    w.writeLine(
      `{ kind: ${q(step.kind)}, name: ${q(step.method)}, fn: (value) => stage[${q(step.method)}](value) },`,
    );
  }
}

/** `lookups: [...]`: each @LookupTable loader of `instance`, reloaded every `refreshMs`. */
function writeLookups(w: CodeBlockWriter, lookups: readonly LookupNode[], instance: string): void {
  w.writeLine('lookups: [');
  w.indent(() => {
    for (const l of lookups) {
      w.writeLine(
        `{ name: ${q(l.method)}, refreshMs: ${l.refreshMs}, load: () => ${instance}[${q(l.method)}]() },`,
      );
    }
  });
  w.writeLine('],');
}

/** The async operator: the @AsyncEnrich method under its limits, @LookupTable loaders as lookups. */
function writeAsyncOperator(w: CodeBlockWriter, graph: JobGraph, op: OperatorNode): void {
  const limits = op.limits;
  const handler = op.handlers[0];
  if (!limits || !handler) return;
  const fields: string[] = [`concurrency: ${limits.concurrency}`];
  if (limits.rateLimit) {
    const burst = limits.rateLimit.burst !== undefined ? `, burst: ${limits.rateLimit.burst}` : '';
    fields.push(`rateLimit: { perSecond: ${limits.rateLimit.perSecond}${burst} }`);
  }
  if (limits.timeoutMs !== undefined) fields.push(`timeoutMs: ${limits.timeoutMs}`);
  if (limits.retries !== undefined) fields.push(`retries: ${limits.retries}`);
  if (limits.backoffMs !== undefined) fields.push(`backoffMs: ${limits.backoffMs}`);
  w.writeLine('operator: {');
  w.indent(() => {
    w.writeLine(`kind: 'async',`);
    if (outputStream(graph)) w.writeLine(`output: ${q(op.output ?? '')},`);
    w.writeLine(`name: ${q(graph.className)},`);
    w.writeLine(`input: ${q(op.inputs[0])},`);
    w.writeLine(`limits: { ${fields.join(', ')} },`);
    w.writeLine(`ordered: ${limits.ordered},`);
    w.writeLine('create: async () => {');
    w.indent(() => {
      w.writeLine('const job = await create();');
      w.writeLine('return {');
      w.indent(() => {
        w.writeLine(
          handler.takesSignal
            ? `enrich: (value, signal) => job[${q(handler.method)}](value, signal),`
            : `enrich: (value) => job[${q(handler.method)}](value),`,
        );
        if (op.lookups.length > 0) writeLookups(w, op.lookups, 'job');
      });
      w.writeLine('};');
    });
    w.writeLine('},');
  });
  w.writeLine('},');
}

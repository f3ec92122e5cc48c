import type { ClassDeclaration, Decorator, MethodDeclaration, Node } from 'ts-morph';
import type { AsyncLimitsNode, HandlerNode, LookupNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { locationOf } from './location';
import { asObject, durationOption, optionAt, stringOption, type StaticObject } from './options';

export interface EnrichMember {
  readonly handler: HandlerNode;
  readonly limits: AsyncLimitsNode;
  readonly output?: string;
  readonly method: MethodDeclaration;
  readonly decorator: Decorator;
}

/** The @AsyncEnrich methods of a class (one is allowed; more are reported by the validator). */
export function readEnrichers(cls: ClassDeclaration, sink: DiagnosticsSink): EnrichMember[] {
  const found: EnrichMember[] = [];
  for (const method of cls.getMethods()) {
    const decorator = method.getDecorators().find((d) => d.getName() === 'AsyncEnrich');
    if (!decorator) continue;
    const where = decorator.getArguments()[0] ?? decorator;
    const options = asObject(sink.value(decorator.getArguments()[0], '@AsyncEnrich options') ?? {});
    const source = stringOption(
      sink,
      options.source,
      '@AsyncEnrich source',
      optionAt(where, 'source'),
    );
    if (source === undefined) continue;
    found.push({
      handler: {
        method: method.getName(),
        source,
        hasKeyBy: false,
        takesSignal: method.getParameters().length >= 2,
        location: locationOf(decorator),
      },
      limits: readLimits(options, where, sink),
      output: stringOption(sink, options.output, '@AsyncEnrich output', optionAt(where, 'output')),
      method,
      decorator,
    });
  }
  return found;
}

function readLimits(options: StaticObject, where: Node, sink: DiagnosticsSink): AsyncLimitsNode {
  const count = (value: unknown, what: string, min: number): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
    sink.report(
      'SG1002',
      `@AsyncEnrich ${what} must be a whole number >= ${min}, got ${JSON.stringify(value)}`,
      optionAt(where, what),
    );
    return undefined;
  };
  const concurrency = count(options.concurrency, 'concurrency', 1);
  if (options.concurrency === undefined)
    sink.report('SG1002', '@AsyncEnrich needs concurrency (calls in flight at most)', where);
  const rate = asObject(options.rateLimit ?? {});
  let rateLimit: AsyncLimitsNode['rateLimit'];
  if (options.rateLimit !== undefined) {
    const perSecond = rate.perSecond;
    if (typeof perSecond !== 'number' || !(perSecond > 0)) {
      sink.report(
        'SG1002',
        '@AsyncEnrich rateLimit.perSecond must be a number > 0',
        optionAt(where, 'rateLimit.perSecond'),
      );
    } else {
      rateLimit = { perSecond, burst: count(rate.burst, 'rateLimit.burst', 1) };
    }
  }
  return {
    concurrency: concurrency ?? 1,
    rateLimit,
    timeoutMs: durationOption(
      sink,
      options.timeout,
      '@AsyncEnrich timeout',
      optionAt(where, 'timeout'),
    ),
    retries: count(options.retries, 'retries', 0),
    backoffMs: durationOption(
      sink,
      options.backoff,
      '@AsyncEnrich backoff',
      optionAt(where, 'backoff'),
    ),
    ordered: options.ordered !== false,
  };
}

/**
 * @LookupTable loaders of an @AsyncEnrich job class or a @Chain stage class:
 * `load(): Promise<void>`, reloaded every `refresh`.
 */
export function readLookups(
  cls: ClassDeclaration,
  sink: DiagnosticsSink,
  /** Methods whose @LookupTable is misplaced, reported by the caller: left out. */
  except: ReadonlySet<string> = new Set(),
): LookupNode[] {
  const lookups: LookupNode[] = [];
  for (const method of cls.getMethods()) {
    const decorator = method.getDecorators().find((d) => d.getName() === 'LookupTable');
    if (!decorator || except.has(method.getName())) continue;
    const where = decorator.getArguments()[0] ?? decorator;
    const options = asObject(sink.value(decorator.getArguments()[0], '@LookupTable options') ?? {});
    const refreshMs = durationOption(
      sink,
      options.refresh,
      '@LookupTable refresh',
      optionAt(where, 'refresh'),
    );
    if (refreshMs === undefined || refreshMs <= 0) {
      if (options.refresh === undefined)
        sink.report(
          'SG1002',
          `@LookupTable on '${method.getName()}' needs refresh, like '5m'`,
          decorator,
        );
      continue;
    }
    if (method.getParameters().length > 0) {
      sink.report(
        'SG1102',
        `lookup loader '${method.getName()}' must take no parameters: load(): Promise<void>`,
        method.getNameNode(),
      );
    }
    checkLoaderResult(method, sink);
    lookups.push({ method: method.getName(), refreshMs, location: locationOf(decorator) });
  }
  return lookups;
}

/**
 * A loader keeps the table in a field the class's other methods read: what it resolves
 * to is dropped, so a loader that returns its table has most likely forgotten to store it.
 */
function checkLoaderResult(method: MethodDeclaration, sink: DiagnosticsSink): void {
  const returns = method.getReturnType();
  const resolved =
    returns.getSymbol()?.getName() === 'Promise' ? returns.getTypeArguments()[0] : returns;
  if (
    !resolved ||
    [resolved.isVoid(), resolved.isUndefined(), resolved.isAny(), resolved.isUnknown()].some(
      Boolean,
    )
  )
    return;
  const text = method.getReturnTypeNode()?.getText() ?? returns.getText(method);
  sink.report(
    'SG1102',
    `lookup loader '${method.getName()}' returns '${text}', which nothing reads: store the table in a field of the class (this.table = ...) and return Promise<void>`,
    method.getReturnTypeNode() ?? method.getNameNode(),
  );
}

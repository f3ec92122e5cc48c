import type { Decorator, Node } from 'ts-morph';
import type { WindowNode } from '../model/job-graph';
import type { DiagnosticsSink } from './diagnostics-sink';
import { asObject, durationOption, optionAt, optionNode, type StaticObject } from './options';
import { describeStatic } from './static-value';

const ASSIGNERS = ['tumbling', 'sliding', 'session'] as const;

/**
 * The windows of a `@Window`: exactly one of `tumbling`, `sliding` and `session`
 * (SG2101), durations that parse (SG1002), `slide ≤ size`, an offset within the grid,
 * and no allowed lateness on processing time (SG2101). Undefined when it cannot run.
 */
export function readWindowOptions(
  decorator: Decorator,
  sink: DiagnosticsSink,
): WindowNode | undefined {
  const where = decorator.getArguments()[0] ?? decorator;
  const options = asObject(sink.value(decorator.getArguments()[0], '@Window options') ?? {});
  const given = ASSIGNERS.filter((a) => options[a] !== undefined);
  if (given.length !== 1) {
    sink.report(
      'SG2101',
      given.length === 0
        ? "@Window needs its windows: one of tumbling: { size: '1m' }, sliding: { size: '10s', slide: '2s' } or session: { gap: '30m' }"
        : `@Window takes one kind of windows, got ${given.join(' and ')}: keep one`,
      given.length === 0 ? where : optionAt(where, given[1]),
    );
    return undefined;
  }
  const kind = given[0];
  const at = (path: string) => optionAt(where, path);
  const spec = asObject(options[kind]);
  const ms = (name: string) =>
    durationOption(sink, spec[name], `@Window ${kind}.${name}`, at(`${kind}.${name}`));
  // a duration that does not parse is reported (SG1002), not also as missing
  const unparsed = (name: string) => spec[name] !== undefined;
  const time = readTime(options, at('time'), sink);
  const allowedLatenessMs =
    durationOption(
      sink,
      options.allowedLateness,
      '@Window allowedLateness',
      at('allowedLateness'),
    ) ?? 0;
  if (time === 'processing' && allowedLatenessMs > 0) {
    sink.report(
      'SG2101',
      "processing-time windows fire by the clock, so nothing arrives late: remove allowedLateness or use time: 'event'",
      at('allowedLateness'),
    );
    return undefined;
  }
  const base = { time, allowedLatenessMs };
  if (kind === 'session') {
    const gapMs = ms('gap');
    const gapAt = optionNode(where, 'session.gap') ?? at('session');
    if (!positive(gapMs, 'session gap', gapAt, sink, unparsed('gap'))) return undefined;
    return node(base, { kind, gapMs: gapMs! });
  }
  const sizeMs = ms('size');
  const sizeAt = optionNode(where, `${kind}.size`) ?? at(kind);
  if (!positive(sizeMs, `${kind} window size`, sizeAt, sink, unparsed('size'))) return undefined;
  const offsetMs = ms('offset') ?? 0;
  if (kind === 'tumbling') {
    if (!withinGrid(offsetMs, sizeMs!, at('tumbling.offset'), sink)) return undefined;
    return node(base, { kind, sizeMs: sizeMs!, offsetMs });
  }
  const slideMs = ms('slide');
  const slideAt = optionNode(where, 'sliding.slide') ?? at('sliding');
  if (!positive(slideMs, 'sliding window slide', slideAt, sink, unparsed('slide')))
    return undefined;
  if (slideMs! > sizeMs!) {
    sink.report(
      'SG2101',
      `sliding window slide (${slideMs} ms) must not exceed its size (${sizeMs} ms): elements between two windows would belong to none`,
      slideAt,
    );
    return undefined;
  }
  if (!withinGrid(offsetMs, slideMs!, at('sliding.offset'), sink)) return undefined;
  return node(base, { kind, sizeMs: sizeMs!, slideMs: slideMs!, offsetMs });
}

const node = (
  base: Pick<WindowNode, 'time' | 'allowedLatenessMs'>,
  assigner: WindowNode['assigner'],
): WindowNode => ({ assigner, ...base });

function readTime(options: StaticObject, at: Node, sink: DiagnosticsSink): 'event' | 'processing' {
  const time = options.time;
  if (time === undefined || time === 'event' || time === 'processing') return time ?? 'event';
  sink.report(
    'SG2101',
    `@Window time must be 'event' or 'processing', got ${describeStatic(time)}`,
    at,
  );
  return 'event';
}

/** A duration that is a positive whole number of ms (SG2101 otherwise; unparsable ones are SG1002). */
function positive(
  ms: number | undefined,
  what: string,
  at: Node,
  sink: DiagnosticsSink,
  written: boolean,
): boolean {
  if (ms === undefined) {
    if (!written) sink.report('SG2101', `${what} is missing`, at);
    return false;
  }
  if (Number.isInteger(ms) && ms > 0) return true;
  sink.report('SG2101', `${what} must be a positive whole number of milliseconds, got ${ms}`, at);
  return false;
}

function withinGrid(offsetMs: number, step: number, at: Node, sink: DiagnosticsSink): boolean {
  if (Number.isInteger(offsetMs) && offsetMs < step) return true;
  sink.report(
    'SG2101',
    `window offset must be a whole number of ms below ${step} (the windows repeat every ${step} ms), got ${offsetMs}`,
    at,
  );
  return false;
}

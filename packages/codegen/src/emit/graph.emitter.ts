import type { JobGraph, WindowNode } from '../model/job-graph';
import {
  keyedStagesInOrder,
  mainOutputSink,
  outputStream,
  outputTrees,
  stageSideOutputs,
  streamSinks,
} from '../model/streams';

export type GraphFormat = 'mermaid' | 'dot' | 'json';

export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
  /** The stream crosses a repartition topic to a keyed stage (drawn dashed). */
  readonly repartition?: true;
}

/**
 * Nodes and edges of a job: sources -> chain stages -> operator -> chain stages ->
 * keyed stages -> sinks (main, side outputs, dead letters, copies of a stream); before
 * and after the operator a stream may feed several chain stages (branches); a
 * stream is drawn as the edge from the node that writes it (one per input of the
 * operator), a repartition dashed and named by its topic; the input of a `sameKey`
 * stage, which has none, solid and labelled "same key".
 */
/** A node of a drawn graph; its kind picks the shape. */
export interface GraphNode {
  readonly id: string;
  readonly label: string;
  readonly kind: 'source' | 'sink' | 'operator' | 'stage' | 'keyedStage';
}

/** What a graph draws: nodes and edges of a job or a router, under its name. */
export interface Topology {
  readonly name: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly Edge[];
}

export function jobTopology(job: JobGraph): Topology {
  const nodes: GraphNode[] = [
    ...job.sources.map((s) => ({
      id: `source_${s.name}`,
      label: `${s.name}`,
      kind: 'source' as const,
    })),
    ...job.sinks.map((s) => ({ id: `sink_${s.name}`, label: `${s.name}`, kind: 'sink' as const })),
  ];
  const edges: Edge[] = [];
  /** The node that writes a stream: its source, or the stage whose output it is. */
  const writer = (stream: string) => {
    const stage = [...job.stages, ...job.keyedStages].find((s) => s.output === stream);
    if (stage) return `stage_${stage.id}`;
    return stream === outputStream(job) ? `op_${job.className}` : `source_${stream}`;
  };
  for (const stage of job.stages) {
    const steps = stage.script ? 'script' : stage.steps.map((s) => s.kind).join(' → ');
    nodes.push({
      id: `stage_${stage.id}`,
      label: `${stage.id}: ${stage.className} (${steps})`,
      kind: 'stage',
    });
    edges.push({ from: writer(stage.input), to: `stage_${stage.id}`, label: stage.input });
  }
  const op = job.operator;
  // a copy of a stream, from the node that writes it (fan-out)
  const copies = streamSinks(job);
  const copyEdges = () =>
    copies.forEach(([stream, sink]) =>
      edges.push({ from: writer(stream), to: `sink_${sink}`, label: stream }),
    );
  if (!op) {
    copyEdges();
    const read = new Set(job.stages.map((s) => s.input));
    const copied = new Set(copies.map(([stream]) => stream));
    const ends = [...job.sources.map((s) => s.name), ...job.stages.map((s) => s.output)];
    for (const stream of ends.filter((e) => job.output && !read.has(e) && !copied.has(e)))
      edges.push({ from: writer(stream), to: `sink_${job.output}` });
  }
  if (op) {
    const id = `op_${job.className}`;
    nodes.push({
      id,
      label: `${job.className} (${operatorKind(job)})`,
      kind: 'operator',
    });
    for (const input of op.inputs) {
      const handler = op.handlers.find((h) => h.source === input);
      edges.push({
        from: writer(input),
        to: id,
        label: handler?.key ? `keyBy ${handler.key.text}` : undefined,
      });
    }
    for (const stage of job.keyedStages) {
      nodes.push({
        id: `stage_${stage.id}`,
        label: `${stage.id}: ${stage.className} (${stage.process.window ? windowKind(stage.process.window) : 'keyed process'})`,
        kind: 'keyedStage',
      });
      // a sameKey stage runs in the tasks of the stage before it: no repartition
      edges.push(
        stage.sameKey
          ? { from: writer(stage.input), to: `stage_${stage.id}`, label: 'same key' }
          : {
              from: writer(stage.input),
              to: `stage_${stage.id}`,
              label: `${job.name}.${stage.id}.repartition`,
              repartition: true,
            },
      );
    }
    copyEdges();
    // the main output: from the last keyed stage, or the operator, or the one branch of
    // the stages after it that no sink copies (the other branches are copies, drawn above)
    const lastKeyed = keyedStagesInOrder(job).at(-1);
    const final = outputTrees(job).find((t) => t.writer === lastKeyed);
    const main = mainOutputSink(job);
    if (final && final.stages.length > 0) {
      if (main && final.mains.length === 1)
        edges.push({ from: writer(final.mains[0]), to: `sink_${main}` });
    } else if (lastKeyed) {
      if (main) edges.push({ from: `stage_${lastKeyed.id}`, to: `sink_${main}` });
    } else if (op.output) edges.push({ from: id, to: `sink_${op.output}` });
    // each keyed stage writes its own side outputs (or the operator's), and the dead letters
    const writers: ReadonlyArray<readonly [string, Readonly<Record<string, string>>]> = [
      [id, op.sideOutputs],
      ...job.keyedStages.map((s) => [`stage_${s.id}`, stageSideOutputs(job, s)] as const),
    ];
    for (const [from, sideOutputs] of writers) {
      for (const [tag, sink] of Object.entries(sideOutputs))
        edges.push({ from, to: `sink_${sink}`, label: tag });
      if (job.deadLetters)
        edges.push({ from, to: `sink_${job.deadLetters}`, label: 'dead letters' });
    }
  }
  return { name: job.name, nodes, edges };
}

const safe = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');
const quote = (text: string) => text.replace(/["`]/g, "'");

export function renderGraph(job: JobGraph, format: GraphFormat): string {
  return renderTopology(jobTopology(job), format);
}

/** A topology as mermaid, dot or json. */
export function renderTopology(graph: Topology, format: GraphFormat): string {
  const { nodes, edges } = graph;
  if (format === 'json') return JSON.stringify({ job: graph.name, nodes, edges }, null, 2);
  if (format === 'dot') {
    const shape: Record<string, string> = {
      source: 'cds',
      sink: 'cylinder',
      operator: 'box',
      stage: 'component',
      keyedStage: 'box',
    };
    return [
      `digraph "${graph.name}" {`,
      '  rankdir=LR;',
      ...nodes.map((n) => `  ${safe(n.id)} [label="${quote(n.label)}", shape=${shape[n.kind]}];`),
      ...edges.map((e) => {
        const attributes = [
          ...(e.label ? [`label="${quote(e.label)}"`] : []),
          ...(e.repartition ? ['style=dashed'] : []),
        ];
        return `  ${safe(e.from)} -> ${safe(e.to)}${attributes.length > 0 ? ` [${attributes.join(', ')}]` : ''};`;
      }),
      '}',
    ].join('\n');
  }
  const open: Record<string, [string, string]> = {
    source: ['[/', '/]'],
    sink: ['[(', ')]'],
    operator: ['[', ']'],
    stage: ['(', ')'],
    keyedStage: ['[', ']'],
  };
  return [
    'flowchart LR',
    ...nodes.map((n) => `  ${safe(n.id)}${open[n.kind][0]}"${quote(n.label)}"${open[n.kind][1]}`),
    ...edges.map(
      (e) =>
        `  ${safe(e.from)} ${e.repartition ? '-.->' : '-->'}${e.label ? `|"${quote(e.label)}"|` : ''} ${safe(e.to)}`,
    ),
  ].join('\n');
}

function operatorKind(job: JobGraph): string {
  const op = job.operator;
  if (op?.window) return windowKind(op.window);
  if (op?.kind === 'coProcess') return 'keyed co-process';
  if (op?.kind === 'process') return 'keyed process';
  if (op?.kind === 'union') return 'keyed union';
  const rate = op?.limits?.rateLimit ? `, ${op.limits.rateLimit.perSecond}/s` : '';
  return `async enrich, concurrency ${op?.limits?.concurrency}${rate}`;
}

/** A window operator as the graph labels it: `session window, gap 1800000 ms`, ... */
function windowKind(window: WindowNode): string {
  const a = window.assigner;
  const what =
    a.kind === 'session'
      ? `session window, gap ${a.gapMs} ms`
      : a.kind === 'tumbling'
        ? `tumbling window, ${a.sizeMs} ms`
        : `sliding window, ${a.sizeMs} ms every ${a.slideMs} ms`;
  const time = window.time === 'processing' ? ', processing time' : '';
  const late = window.allowedLatenessMs > 0 ? `, lateness ${window.allowedLatenessMs} ms` : '';
  return `${what}${time}${late}`;
}

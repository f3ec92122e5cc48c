import type { ChainStageNode, JobGraph } from './job-graph';

/** The operator's output when stages read it (it is a stream then, not a sink). */
export function outputStream(job: JobGraph): string | undefined {
  const output = job.operator?.output;
  return output !== undefined && job.stages.some((s) => s.input === output) ? output : undefined;
}

/**
 * Where a stream starts: a source (itself, or the source at the start of its chain of
 * stages), or the operator's output for the stages after the operator.
 */
export function sourceOfStream(job: JobGraph, stream: string): string | undefined {
  const fromOperator = outputStream(job);
  const seen = new Set<string>();
  for (let current = stream; !seen.has(current);) {
    seen.add(current);
    if (job.sources.some((s) => s.name === current) || current === fromOperator) return current;
    const writer = job.stages.find((s) => s.output === current);
    if (!writer) return undefined;
    current = writer.input;
  }
  return undefined; // a cycle, reported by validateStages
}

/** The stages reading `stream`, then the one reading its output, and so on. */
function chainFrom(job: JobGraph, stream: string | undefined): ChainStageNode[] {
  const chain: ChainStageNode[] = [];
  for (let next = job.stages.find((s) => s.input === stream); next && !chain.includes(next);) {
    chain.push(next);
    next = job.stages.find((s) => s.input === next?.output);
  }
  return chain;
}

/** The stages after the operator, in order: what it emits goes through them to the sink. */
export function stagesAfterOperator(job: JobGraph): ChainStageNode[] {
  const start = outputStream(job);
  return start === undefined ? [] : chainFrom(job, start);
}

/** The stream the operator reads a source as: the end of the source's chain of stages. */
export function chainEnd(job: JobGraph, source: string): string {
  return chainFrom(job, source).at(-1)?.output ?? source;
}

/** Every stream name the job has: its sources, its stages' outputs, the operator's output. */
export function streamsOf(job: JobGraph): Set<string> {
  const fromOperator = outputStream(job);
  return new Set([
    ...job.sources.map((s) => s.name),
    ...job.stages.map((s) => s.output),
    ...(fromOperator !== undefined ? [fromOperator] : []),
  ]);
}

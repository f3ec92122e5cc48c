import type { Step } from '../job/job-spec';
import { applySteps } from './steps';

/**
 * A source's stages as a task runs them: the source's own steps, then the tree of its
 * chain stages (a stream may feed several), each stage's steps opened once. Streams
 * are copied to their sinks where `outputs.streams` says, and the main streams' values
 * go on to the operator (or the main output).
 */
export interface OpenedStream {
  readonly stream: string;
  readonly main: boolean;
  readonly sink?: string;
  readonly next: ReadonlyArray<{ readonly steps: readonly Step[]; readonly node: OpenedStream }>;
}

/** What one element became: the values for the operator, and those of each copied stream. */
export interface PlannedValues {
  readonly main: unknown[];
  /** In the order they came out, each with its index among its stream's values. */
  readonly copies: Array<{
    readonly stream: string;
    readonly index: number;
    readonly value: unknown;
  }>;
}

export class SourcePlan {
  /** Whether the plan does more than hand the element to the operator unchanged. */
  readonly trivial: boolean;

  constructor(
    /** The source's own steps, before its stages. */
    private readonly own: readonly Step[],
    private readonly tree: OpenedStream,
  ) {
    this.trivial = own.length === 0 && tree.next.length === 0 && tree.sink === undefined;
  }

  /**
   * Runs the element through the steps and stages, each once (a stage before a fork
   * runs once for all its branches). Throws the first step's error (a `StepError`).
   */
  run(value: unknown): PlannedValues {
    const out: PlannedValues = { main: [], copies: [] };
    const counts = new Map<string, number>();
    const visit = (node: OpenedStream, v: unknown) => {
      if (node.main) out.main.push(v);
      if (node.sink !== undefined) {
        const index = counts.get(node.stream) ?? 0;
        counts.set(node.stream, index + 1);
        out.copies.push({ stream: node.stream, index, value: v });
      }
      for (const edge of node.next) for (const w of applySteps(edge.steps, v)) visit(edge.node, w);
    };
    for (const v of this.own.length > 0 ? applySteps(this.own, value) : [value]) {
      visit(this.tree, v);
    }
    return out;
  }
}

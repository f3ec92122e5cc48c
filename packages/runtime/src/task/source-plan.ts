import type { Step } from '../job/job-spec';
import type { CallFailure } from './call-failure';
import { applySteps, withStepRetries } from './steps';

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
  readonly next: ReadonlyArray<{
    readonly steps: readonly Step[];
    readonly node: OpenedStream;
    /** The stage's failures are its branch's alone (`ChainStageSpec.ownFailures`). */
    readonly ownFailures?: true;
  }>;
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
  /**
   * Branches of a fork that failed on this element (run with `branchRetries`): the
   * stream the failed branch would have written, and the failure. The other branches
   * got the element.
   */
  readonly failures: Array<{ readonly stream: string; readonly failure: CallFailure }>;
}

export class SourcePlan {
  /** Whether the plan does more than hand the element to the operator unchanged. */
  readonly trivial: boolean;

  constructor(
    /** The source's own steps, before its stages. */
    private readonly own: readonly Step[],
    private readonly tree: OpenedStream,
    /** The stages' `beforeBatch` hooks. */
    private readonly hooks: ReadonlyArray<
      (values: readonly unknown[]) => void | Promise<void>
    > = [],
  ) {
    this.trivial = own.length === 0 && tree.next.length === 0 && tree.sink === undefined;
  }

  /** Whether a stage wants each batch's values before its elements (see `beforeBatch`). */
  get wantsBatches(): boolean {
    return this.hooks.length > 0;
  }

  /** Gives the stages that asked for it the valid values of a batch, before its elements run. */
  async beforeBatch(values: readonly unknown[]): Promise<void> {
    for (const hook of this.hooks) await hook(values);
  }

  /**
   * Runs the element through the steps and stages, each once (a stage before a fork
   * runs once for all its branches). Throws the first step's error (a `StepError`),
   * except, given `branchRetries`, in a stage with `ownFailures` at a fork: that branch
   * is retried up to so many times, then left out and reported in `failures`, while the
   * branches beside it go on (a router's route that throws does not take the record
   * from the others).
   */
  run(value: unknown, branchRetries?: number): PlannedValues {
    const out: PlannedValues = { main: [], copies: [], failures: [] };
    const counts = new Map<string, number>();
    const visit = (node: OpenedStream, v: unknown) => {
      if (node.main) out.main.push(v);
      if (node.sink !== undefined) {
        const index = counts.get(node.stream) ?? 0;
        counts.set(node.stream, index + 1);
        out.copies.push({ stream: node.stream, index, value: v });
      }
      const fork = node.next.length > 1 && branchRetries !== undefined;
      for (const edge of node.next) {
        if (!fork || !edge.ownFailures) {
          for (const w of applySteps(edge.steps, v)) visit(edge.node, w);
          continue;
        }
        const branch = withStepRetries(() => applySteps(edge.steps, v), branchRetries);
        if ('failure' in branch)
          out.failures.push({ stream: edge.node.stream, failure: branch.failure });
        else for (const w of branch.result) visit(edge.node, w);
      }
    };
    for (const v of this.own.length > 0 ? applySteps(this.own, value) : [value]) {
      visit(this.tree, v);
    }
    return out;
  }
}

import type { RunningLookups } from '../async/lookup-refresher';
import { planChains } from '../job/chain-plan';
import type { ChainStageParts, ChainStageSpec, JobSpec, Step } from '../job/job-spec';
import { ConfigurationError } from '../util/errors';
import { outputTree, type StreamNode } from '../job/source-tree';
import { SourcePlan, type OpenedStream } from './source-plan';

/**
 * The steps each source's elements go through: the source's own, then those of every
 * stage chained after it, each named `<stage id>.<step>` so a failure names its stage.
 * Stages are created here, once per caller (a task, the re-keying stage); their lookup
 * tables (named `<stage id>.<table>`) are loaded before this returns, so before their
 * first element, and refreshed by `lookups` until the caller stops it.
 */
export async function openSourceSteps(
  job: JobSpec,
  lookups: RunningLookups,
): Promise<Map<string, readonly Step[]>> {
  const steps = new Map<string, readonly Step[]>();
  for (const chain of planChains(job)) {
    const own = job.sources.find((s) => s.name === chain.source)?.steps ?? [];
    const fused = [...own, ...(await openChainSteps(chain.stages, lookups))];
    if (fused.length > 0) steps.set(chain.source, fused);
  }
  return steps;
}

/**
 * Each source's plan: its own steps, then the tree of its chain stages (a stream may
 * feed several, and be copied to a sink), each stage created once, its steps named and
 * its lookup tables loaded as {@link openSourceSteps} does.
 */
export async function openSourcePlans(
  job: JobSpec,
  lookups: RunningLookups,
): Promise<Map<string, SourcePlan>> {
  const plans = new Map<string, SourcePlan>();
  for (const chain of planChains(job)) {
    const own = job.sources.find((s) => s.name === chain.source)?.steps ?? [];
    const hooks: BatchHook[] = [];
    const plan = new SourcePlan(own, await openTree(chain.tree, lookups, hooks), hooks);
    if (!plan.trivial) plans.set(chain.source, plan);
  }
  return plans;
}

/**
 * The plan of what `root` carries after the operator or a keyed stage: the tree of
 * chain stages from it, its streams copied where `outputs.streams` says, its main
 * stream the next keyed stage's input or the main output; undefined when it does
 * nothing but pass values on.
 */
export async function openOutputPlan(
  job: JobSpec,
  root: string | undefined,
  lookups: RunningLookups,
): Promise<SourcePlan | undefined> {
  if (root === undefined) return undefined;
  const plan = new SourcePlan([], await openTree(outputTree(job, root), lookups));
  return plan.trivial ? undefined : plan;
}

async function openTree(
  node: StreamNode,
  lookups: RunningLookups,
  hooks?: BatchHook[],
): Promise<OpenedStream> {
  const next: Array<OpenedStream['next'][number]> = [];
  for (const edge of node.next) {
    next.push({
      steps: await openChainSteps([edge.stage], lookups, hooks),
      node: await openTree(edge.node, lookups, hooks),
      ...(edge.stage.ownFailures && { ownFailures: true as const }),
    });
  }
  return { stream: node.stream, main: node.main, sink: node.sink, next };
}

/**
 * The steps of chain stages, in order, each named `<stage id>.<step>`, their lookup
 * tables loaded; their `beforeBatch` hooks go to `hooks` (where the caller runs them:
 * a task's plans of sources; elsewhere a stage with one is refused).
 */
export async function openChainSteps(
  stages: readonly ChainStageSpec[],
  lookups: RunningLookups,
  hooks?: BatchHook[],
): Promise<Step[]> {
  const steps: Step[] = [];
  for (const stage of stages) {
    const created = await stage.create();
    const own: Exclude<ChainStageParts, readonly Step[]> = isStepList(created)
      ? { steps: created }
      : created;
    if (own.beforeBatch) {
      if (!hooks) {
        throw new ConfigurationError(
          `chain stage "${stage.id}" has a beforeBatch hook, which only a stage reading a source (before the operator) can have`,
        );
      }
      hooks.push(own.beforeBatch);
    }
    if (own.close) lookups.onStop(own.close);
    const named = (own.lookups ?? []).map((l) => ({ ...l, name: `${stage.id}.${l.name}` }));
    await lookups.start(named);
    own.steps.forEach((step, i) =>
      steps.push({ ...step, name: `${stage.id}.${step.name ?? `#${i + 1}`}` }),
    );
  }
  return steps;
}

type BatchHook = (values: readonly unknown[]) => void | Promise<void>;

const isStepList = (created: ChainStageParts): created is readonly Step[] => Array.isArray(created);

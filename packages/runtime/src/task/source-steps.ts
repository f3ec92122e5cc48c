import { planChains, planOutputChain } from '../job/chain-plan';
import type { ChainStageSpec, JobSpec, Step } from '../job/job-spec';

/**
 * The steps each source's elements go through: the source's own, then those of every
 * stage chained after it, each named `<stage id>.<step>` so a failure names its stage.
 * Stages are created here, once per caller (a task, the re-keying stage).
 */
export async function openSourceSteps(job: JobSpec): Promise<Map<string, readonly Step[]>> {
  const steps = new Map<string, readonly Step[]>();
  for (const chain of planChains(job)) {
    const own = job.sources.find((s) => s.name === chain.source)?.steps ?? [];
    const fused = [...own, ...(await stageSteps(chain.stages))];
    if (fused.length > 0) steps.set(chain.source, fused);
  }
  return steps;
}

/** The steps of the stages after the operator, which its main output goes through. */
export function openOutputSteps(job: JobSpec): Promise<Step[]> {
  return stageSteps(planOutputChain(job));
}

async function stageSteps(stages: readonly ChainStageSpec[]): Promise<Step[]> {
  const steps: Step[] = [];
  for (const stage of stages) {
    const created = await stage.create();
    created.forEach((step, i) =>
      steps.push({ ...step, name: `${stage.id}.${step.name ?? `#${i + 1}`}` }),
    );
  }
  return steps;
}

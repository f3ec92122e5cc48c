import { planChains } from '../job/chain-plan';
import type { JobSpec, Step } from '../job/job-spec';

/**
 * The steps each source's elements go through: the source's own, then those of every
 * stage chained after it, each named `<stage id>.<step>` so a failure names its stage.
 * Stages are created here, once per caller (a task, the re-keying stage).
 */
export async function openSourceSteps(job: JobSpec): Promise<Map<string, readonly Step[]>> {
  const steps = new Map<string, readonly Step[]>();
  for (const chain of planChains(job)) {
    const own = job.sources.find((s) => s.name === chain.source)?.steps ?? [];
    const fused: Step[] = [...own];
    for (const stage of chain.stages) {
      const created = await stage.create();
      created.forEach((step, i) =>
        fused.push({ ...step, name: `${stage.id}.${step.name ?? `#${i + 1}`}` }),
      );
    }
    if (fused.length > 0) steps.set(chain.source, fused);
  }
  return steps;
}

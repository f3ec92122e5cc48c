import type { ChainStageSpec, JobSpec, Logger, LookupSpec } from '../src';
import { JobHarness } from '../src/testing';

/** A metadata service: serves `v<version>` and counts loads; down, every load fails. */
class TableService {
  version = 1;
  loads = 0;
  /** How many loads fail from now on (Infinity: down until set back to 0). */
  failing = 0;

  async fetch(): Promise<string> {
    this.loads++;
    if (this.failing > 0) {
      this.failing--;
      throw new Error('metadata service down');
    }
    return `v${this.version}`;
  }
}

interface Play {
  id: number;
}

/**
 * A stage whose map labels each element from its lookup table, as a generated
 * `@Chain` class with a `@LookupTable` gives it: one instance per task, its table a
 * field of that instance, filled by the loader.
 */
function labelStage(
  service: TableService,
  where: { id: string; input: string; output: string },
  refreshMs: number,
): ChainStageSpec {
  return {
    kind: 'chain',
    ...where,
    create: () => {
      let table: string | undefined;
      const lookups: LookupSpec[] = [
        {
          name: 'labels',
          refreshMs,
          load: async () => {
            table = await service.fetch();
          },
        },
      ];
      return {
        steps: [
          { kind: 'map', name: 'label', fn: (p: Play) => ({ ...p, label: table ?? 'not loaded' }) },
        ],
        lookups,
      };
    },
  };
}

/** `plays` -> label (a stage with a lookup table) -> main output, no operator. */
const statelessJob = (service: TableService, refreshMs = 60_000): JobSpec => ({
  name: 'Labels',
  sources: [{ name: 'plays' }],
  stages: [labelStage(service, { id: 'label', input: 'plays', output: 'labeled' }, refreshMs)],
  outputs: { main: 'out', deadLetters: 'dead' },
});

/** `plays` -> an enrichment writing `enriched` -> label (after the operator) -> main output. */
const afterOperatorJob = (service: TableService, refreshMs = 60_000): JobSpec => ({
  name: 'Enriched',
  sources: [{ name: 'plays' }],
  stages: [labelStage(service, { id: 'label', input: 'enriched', output: 'out' }, refreshMs)],
  operator: {
    kind: 'async',
    name: 'enrich',
    input: 'plays',
    output: 'enriched',
    limits: { concurrency: 2 },
    create: () => ({ enrich: async (p: Play) => ({ ...p, enriched: true }) }),
  },
  outputs: { main: 'out', deadLetters: 'dead' },
});

/** Resolves once `check` holds, polling every 10 ms; fails after `ms`. */
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const recording = () => {
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (m) => warnings.push(m),
    error() {},
  };
  return { warnings, logger };
};

describe('lookup tables of chain stages', () => {
  it.each([
    ['before the operator (a job without one)', statelessJob],
    ['after the operator, on its output stream', afterOperatorJob],
  ])('are loaded before the first element, %s', async (_, job) => {
    const service = new TableService();
    const h = await JobHarness.create({ job: job(service) });
    expect(service.loads).toBe(1);
    await h.push('plays', { id: 1 });
    expect(h.output<{ label: string }>().map((p) => p.label)).toEqual(['v1']);
    expect(h.deadLetters()).toEqual([]);
    h.close();
  });

  it('retry a failed first load with backoff, and hold the task until one succeeds', async () => {
    const service = new TableService();
    service.failing = 2;
    const { warnings, logger } = recording();
    const started = Date.now();
    const h = await JobHarness.create({ job: afterOperatorJob(service), logger });
    // two failures, waits of 250 and 500 ms, then the load that succeeds
    expect(service.loads).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(warnings).toEqual([
      'lookup "label.labels" failed to load (attempt 1): metadata service down; retrying in 250 ms',
      'lookup "label.labels" failed to load (attempt 2): metadata service down; retrying in 500 ms',
    ]);
    await h.push('plays', { id: 1 });
    expect(h.output<{ label: string }>().map((p) => p.label)).toEqual(['v1']);
    h.close();
  });

  it('are refreshed on their interval, and the new table is what the next elements see', async () => {
    const service = new TableService();
    const h = await JobHarness.create({ job: statelessJob(service, 40) });
    await h.push('plays', { id: 1 });
    service.version = 2;
    const loads = service.loads;
    await until(() => service.loads > loads);
    await h.push('plays', { id: 2 });
    expect(h.output<{ id: number; label: string }>()).toEqual([
      { id: 1, label: 'v1' },
      { id: 2, label: 'v2' },
    ]);
    h.close();
  });

  it('keep the previous table when a refresh fails, and take the next good one', async () => {
    const service = new TableService();
    const { warnings, logger } = recording();
    const h = await JobHarness.create({ job: afterOperatorJob(service, 40), logger });
    service.version = 2;
    service.failing = Infinity;
    const loads = service.loads;
    await until(() => service.loads >= loads + 2);
    await h.push('plays', { id: 1 });
    expect(warnings[0]).toBe(
      'lookup "label.labels" failed to refresh, keeping the previous table: metadata service down',
    );
    service.failing = 0;
    const back = service.loads;
    await until(() => service.loads > back);
    await h.push('plays', { id: 2 });
    expect(h.output<{ id: number; label: string }>()).toEqual([
      { id: 1, enriched: true, label: 'v1' },
      { id: 2, enriched: true, label: 'v2' },
    ]);
    h.close();
  });

  it('stop refreshing when the task closes', async () => {
    const service = new TableService();
    const h = await JobHarness.create({ job: afterOperatorJob(service, 20) });
    await until(() => service.loads >= 3);
    h.close();
    const closedAt = service.loads;
    await new Promise((r) => setTimeout(r, 150));
    expect(service.loads).toBe(closedAt);
  });

  it('stop refreshing when the task fails while opening', async () => {
    const service = new TableService();
    const job = afterOperatorJob(service, 20);
    const failing: JobSpec = {
      ...job,
      operator: {
        ...(job.operator as Extract<JobSpec['operator'], { kind: 'async' }>),
        create: () => {
          throw new Error('no enrichment client');
        },
      },
    };
    await expect(JobHarness.create({ job: failing })).rejects.toThrow('no enrichment client');
    // the table was loaded before the operator failed to open
    expect(service.loads).toBeGreaterThanOrEqual(1);
    const failedAt = service.loads;
    await new Promise((r) => setTimeout(r, 150));
    expect(service.loads).toBe(failedAt);
  });

  it('are loaded per task: each task has its own instance and table', async () => {
    const service = new TableService();
    const job = statelessJob(service);
    const first = await JobHarness.create({ job, taskId: '0' });
    service.version = 2;
    const second = await JobHarness.create({ job, taskId: '1' });
    await first.push('plays', { id: 1 });
    await second.push('plays', { id: 2 });
    expect(first.output<{ label: string }>().map((p) => p.label)).toEqual(['v1']);
    expect(second.output<{ label: string }>().map((p) => p.label)).toEqual(['v2']);
    first.close();
    second.close();
  });
});

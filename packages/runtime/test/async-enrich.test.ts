import type { AsyncEnrichFunction, JobSpec } from '../src';
import { TokenBucket } from '../src';
import { JobHarness } from '../src/testing';

interface Req {
  id: number;
  delayMs?: number;
  fail?: number;
}

/** A fake service that records how many calls overlap and when each started. */
class FakeService {
  inFlight = 0;
  maxInFlight = 0;
  starts: number[] = [];
  attempts = new Map<number, number>();
  table: Record<string, string> = {};
  loads = 0;
  failLoads = 0;

  async call(req: Req, signal: AbortSignal): Promise<{ id: number; label: string | undefined }> {
    this.starts.push(Date.now());
    const attempt = (this.attempts.get(req.id) ?? 0) + 1;
    this.attempts.set(req.id, attempt);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, req.delayMs ?? 5);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new Error('aborted'));
        });
      });
      if (attempt <= (req.fail ?? 0)) throw new Error(`boom ${attempt}`);
      return { id: req.id, label: this.table.label };
    } finally {
      this.inFlight--;
    }
  }
}

function enrichJob(
  service: FakeService,
  limits: Partial<Extract<JobSpec['operator'], { kind: 'async' }>> = {},
): JobSpec {
  return {
    name: 'Enrich',
    sources: [{ name: 'requests' }],
    operator: {
      kind: 'async',
      name: 'lookup',
      input: 'requests',
      limits: { concurrency: 3, timeoutMs: 200, retries: 2, backoffMs: 1 },
      ...limits,
      create: (): AsyncEnrichFunction<Req, unknown> => ({
        enrich: (req, signal) => service.call(req, signal),
        lookups: [
          {
            name: 'labels',
            refreshMs: 60_000,
            load: async () => {
              service.loads++;
              if (service.loads <= service.failLoads) throw new Error('metadata service down');
              service.table = { label: `v${service.loads}` };
            },
          },
        ],
      }),
    },
    outputs: { main: 'out', deadLetters: 'dlq' },
  };
}

describe('async enrichment', () => {
  it('never exceeds its concurrency and keeps input order when ordered', async () => {
    const service = new FakeService();
    const h = await JobHarness.create({ job: enrichJob(service) });
    const reqs = Array.from({ length: 20 }, (_, id) => ({ id, delayMs: 20 - id }));
    await h.push('requests', ...reqs);
    expect(service.maxInFlight).toBe(3);
    expect(h.output<{ id: number }>().map((o) => o.id)).toEqual(reqs.map((r) => r.id));
    h.close();
  });

  it('emits as calls complete when unordered', async () => {
    const service = new FakeService();
    const h = await JobHarness.create({
      job: enrichJob(service, { ordered: false, limits: { concurrency: 5 } }),
    });
    await h.push('requests', { id: 1, delayMs: 60 }, { id: 2, delayMs: 1 });
    expect(h.output<{ id: number }>().map((o) => o.id)).toEqual([2, 1]);
    h.close();
  });

  it('retries failures and timeouts, then dead-letters with the reason', async () => {
    const service = new FakeService();
    const h = await JobHarness.create({ job: enrichJob(service) });
    await h.push('requests', { id: 1, fail: 2 }, { id: 2, fail: 5 }, { id: 3, delayMs: 1000 });
    expect(h.output<{ id: number }>().map((o) => o.id)).toEqual([1]);
    expect(h.deadLetters().map((d) => [d.offset, d.reason])).toEqual([
      [1, 'enrichment "lookup" failed after 3 attempts: boom 3'],
      [2, 'enrichment "lookup" failed after 3 attempts: timed out after 200 ms'],
    ]);
    expect(service.attempts.get(2)).toBe(3);
    h.close();
  });

  it('holds processing until the first lookup load succeeded', async () => {
    const service = new FakeService();
    service.failLoads = 2;
    const h = await JobHarness.create({ job: enrichJob(service) });
    expect(service.loads).toBe(3);
    await h.push('requests', { id: 7 });
    expect(h.output()).toEqual([{ id: 7, label: 'v3' }]);
    h.close();
  });

  it('respects the rate limit (token bucket)', async () => {
    const service = new FakeService();
    const h = await JobHarness.create({
      job: enrichJob(service, {
        limits: { concurrency: 10, rateLimit: { perSecond: 50, burst: 5 } },
      }),
    });
    const started = Date.now();
    await h.push('requests', ...Array.from({ length: 15 }, (_, id) => ({ id, delayMs: 1 })));
    // 5 at once from the burst, then 10 more at 50/s: at least ~200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    for (let i = 5; i < service.starts.length; i++) {
      const window = service.starts.filter(
        (t) => t > service.starts[i] - 1000 && t <= service.starts[i],
      );
      expect(window.length).toBeLessThanOrEqual(5 + 50);
    }
    h.close();
  });

  it('token bucket refuses nonsense limits', () => {
    expect(() => new TokenBucket(0, 1, { now: () => 0 })).toThrow(/rate limit must be > 0/);
  });
});

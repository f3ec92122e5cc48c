/**
 * Window state never grows without bound: a long run of sliding windows with allowed
 * lateness on the Redis state backend, checkpointed as it goes, leaves in Redis at most
 * the windows still open per key while it runs, and nothing once its input ended.
 */
import Redis from 'ioredis';
import { RedisStateBackend, type JobSpec, type WindowAggregate } from '../src';
import { taskKeys } from '../src/state/redis/redis-keys';
import { JobHarness } from '../src/testing';
import { testServices } from '../test-services/services';

interface Ev {
  k: string;
  ts: number;
}

class Count implements WindowAggregate<Ev, number, number> {
  createAccumulator() {
    return 0;
  }
  add(_e: Ev, n: number) {
    return n + 1;
  }
  merge(a: number, b: number) {
    return a + b;
  }
  result(n: number) {
    return n;
  }
}

const KEYS = 20;
const SIZE = 1_000;
const SLIDE = 250;
const LATENESS = 500;

describe('window state on Redis', () => {
  const services = testServices();
  const redis = new Redis(services.redisUrl);
  afterAll(() => redis.disconnect());

  /** Per state the task wrote: its fields (keys), and what each holds. */
  async function stored(job: string): Promise<Map<string, Record<string, string>>> {
    const keys = taskKeys('sg', { job, task: '0' });
    const names = await redis.smembers(keys.states);
    const states = new Map<string, Record<string, string>>();
    for (const name of names) states.set(name, await redis.hgetall(keys.state(name)));
    return states;
  }

  it('keeps only the open windows of each key while running, and none after the end', async () => {
    const job: JobSpec = {
      name: `WindowCleanup${Date.now()}`,
      sources: [
        {
          name: 'in',
          eventTime: { timestamp: (e: Ev) => e.ts, maxOutOfOrdernessMs: 100 },
          key: (e: Ev) => e.k,
        },
      ],
      operator: {
        kind: 'process',
        name: 'count',
        input: 'in',
        window: {
          assigner: { kind: 'sliding', sizeMs: SIZE, slideMs: SLIDE },
          allowedLatenessMs: LATENESS,
        },
        create: () => new Count(),
      },
      outputs: { main: 'out', sideOutputs: { late: 'late' } },
    };
    const h = await JobHarness.create({ job, backend: new RedisStateBackend(redis) });
    let mostWindows = 0;
    let fields = 0;
    const rounds = 400; // 100 s of event time: 400 slides, 1,600 windows per key
    for (let round = 0; round < rounds; round++) {
      const ts = round * SLIDE;
      await h.push('in', ...Array.from({ length: KEYS }, (_, i) => ({ k: `k${i}`, ts: ts + i })));
      if (round % 40 === 39) {
        await h.checkpoint();
        const windows = (await stored(job.name)).get('windows') ?? {};
        fields = Math.max(fields, Object.keys(windows).length);
        for (const entry of Object.values(windows)) {
          const open = (JSON.parse(entry) as { value: unknown[] }).value.length;
          mostWindows = Math.max(mostWindows, open);
        }
      }
    }
    // one field per key, holding the windows not yet past end - 1 + lateness
    expect(fields).toBe(KEYS);
    expect(mostWindows).toBeGreaterThan(0);
    expect(mostWindows).toBeLessThanOrEqual((SIZE + LATENESS) / SLIDE + 1);
    await h.endOfInput();
    await h.checkpoint();
    const after = await stored(job.name);
    expect([...after.values()].map((fieldsOf) => Object.keys(fieldsOf).length)).toEqual(
      [...after.keys()].map(() => 0),
    );
    expect(h.pendingTimers().event).toEqual([]);
    // every key got every window its elements are in: 400 slides + the last size / slide - 1
    expect(h.output()).toHaveLength(KEYS * (rounds + SIZE / SLIDE - 1));
  });
});

import { ScriptSandbox } from '@stream-gen/runtime';
import { cpuSeconds } from '../measure-window';
import type { Measured } from '../protocol';

export interface ScriptUdfParams {
  readonly records: number;
  readonly batchSize: number;
}

/** The UDF: what a route script does to a record (drop a field, add two). */
const SOURCE = `function transform(r) {
  const { note, ...rest } = r;
  return { ...rest, total: r.a + r.b, label: r.name + '/' + r.kind };
}`;

const record = (i: number) => ({
  id: `r-${i}`,
  name: `name-${i % 97}`,
  kind: i % 3 === 0 ? 'tv' : 'phone',
  a: i,
  b: i * 2,
  country: 'US',
  note: 'dropped',
  ts: 1_700_000_000_000 + i,
});

/**
 * A script UDF over batches of records: in the sandbox (isolated-vm, one call per
 * batch, JSON across), against the same function called directly in this process on
 * the same records. Reported: the sandbox's rate; in the details, the direct one and
 * the cost per record the sandbox adds.
 */
export async function scriptUdf(params: ScriptUdfParams): Promise<Measured> {
  const batches: unknown[][] = [];
  for (let i = 0; i < params.records; i += params.batchSize) {
    batches.push(
      Array.from({ length: Math.min(params.batchSize, params.records - i) }, (_, j) =>
        record(i + j),
      ),
    );
  }
  const direct = new Function(`${SOURCE}; return transform;`)() as (r: unknown) => unknown;
  const sandbox = ScriptSandbox.load(SOURCE, 'transform', { timeoutMs: 1_000, memoryMb: 64 });
  const time = (run: () => void) => {
    const started = { at: performance.now(), cpu: process.cpuUsage() };
    run();
    return { ms: performance.now() - started.at, cpu: cpuSeconds(started.cpu, process.cpuUsage()) };
  };
  // warm both up, then measure
  for (const batch of batches.slice(0, 20)) {
    batch.map((r) => direct(r));
    sandbox.run(batch);
  }
  const plain = time(() => {
    for (const batch of batches) batch.map((r) => direct(r));
  });
  const boxed = time(() => {
    for (const batch of batches) sandbox.run(batch);
  });
  sandbox.dispose();
  return {
    events: params.records,
    windowMs: boxed.ms,
    cpuSeconds: boxed.cpu,
    redisRoundTrips: null,
    details: {
      batchSize: params.batchSize,
      directPerSecond: Math.round(params.records / (plain.ms / 1000)),
      sandboxPerSecond: Math.round(params.records / (boxed.ms / 1000)),
      addedUsPerRecord: Number((((boxed.ms - plain.ms) * 1000) / params.records).toFixed(2)),
    },
  };
}

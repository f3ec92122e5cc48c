/**
 * The union job of test/union-job.ts as a process, started the way a generated main
 * starts a job: `launchJob` with its backends from the environment (KAFKA_BROKERS,
 * REDIS_URL, STREAM_GEN_NAMESPACE, STREAM_GEN_CHECKPOINT_INTERVAL_MS, ...); SIGTERM or
 * SIGINT stops it with a final checkpoint, and it exits 0 once stopped (1 on failure).
 * With UNION_FUSED=1 it runs the job with a keyed stage fused after the count.
 *
 *   node packages/runtime/test-services/run-typescript.js packages/runtime/test-services/union-job.main.ts
 */
import { launchJob } from '../src';
import { fusedUnionJob, unionJob, UNION_SINK } from '../test/union-job';

async function main(): Promise<void> {
  // UNION_FUSED=1: with a keyed stage fused after the count
  const spec = process.env.UNION_FUSED === '1' ? fusedUnionJob() : unionJob();
  const job = launchJob({ job: spec, sinks: [UNION_SINK] });
  const stop = () => void job.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await job.run();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);

/**
 * A job process of the bench: `node job-process.js '<JobRequest JSON>'`, forked by the
 * bench with an IPC channel. Runs one workload's job, then sends its measurements and
 * peak memory, and exits.
 */
import type { JobChannel } from './jobs/job-channel';
import type { JobMessage, JobRequest, Measured, StopMessage } from './protocol';

type JobFunction = (params: never, channel: JobChannel) => Promise<Measured>;

/** Loaded on demand, so a job process holds only the modules its workload needs. */
const jobs: Record<string, () => Promise<JobFunction>> = {
  'raw-consume': async () => (await import('./jobs/raw-consume.job')).rawConsume,
  'raw-consume-latency': async () => (await import('./jobs/raw-consume.job')).rawConsumeLatency,
  'raw-redis-pipeline': async () =>
    (await import('./jobs/raw-redis-pipeline.job')).rawRedisPipeline,
  'stateless-kafka': async () => (await import('./jobs/stateless-kafka.job')).statelessKafka,
  'chain-kafka': async () => (await import('./jobs/stateless-kafka.job')).chainKafka,
  'pipeline-kafka-redis': async () =>
    (await import('./jobs/pipeline-kafka-redis.job')).pipelineKafkaRedis,
  'fused-kafka-redis': async () => (await import('./jobs/fused-kafka-redis.job')).fusedKafkaRedis,
  'union-kafka-redis': async () => (await import('./jobs/union-kafka-redis.job')).unionKafkaRedis,
  'hot-items-kafka-redis': async () =>
    (await import('./jobs/hot-items-kafka-redis.job')).hotItemsKafkaRedis,
  'asset-view-kafka-redis': async () =>
    (await import('./jobs/asset-view-kafka-redis.job')).assetViewKafkaRedis,
  enricher: async () => (await import('./jobs/enricher.job')).enricher,
  'join-kafka-redis': async () => (await import('./jobs/join-kafka-redis.job')).joinKafkaRedis,
  'join-embedded': async () => (await import('./jobs/join-embedded.job')).joinEmbedded,
  'sessions-embedded': async () => (await import('./jobs/sessions-embedded.job')).sessionsEmbedded,
  'script-udf': async () => (await import('./jobs/script-udf.job')).scriptUdf,
  'router-kafka': async () => (await import('./jobs/router-kafka.job')).routerKafka,
  'router-kafka-interpreted': async () => (await import('./jobs/router-kafka.job')).routerKafka,
  'sink-postgres': async () => (await import('./jobs/sink-postgres.job')).sinkPostgres,
  'sink-redis': async () => (await import('./jobs/sink-redis.job')).sinkRedis,
  'sink-http': async () => (await import('./jobs/sink-http.job')).sinkHttp,
};

function send(message: JobMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as JobRequest;
  const load = jobs[request.workload];
  if (!load) throw new Error(`unknown workload "${request.workload}"`);
  const stopRequested = new Promise<void>((resolve) =>
    process.on('message', (m: StopMessage) => m.type === 'stop' && resolve()),
  );
  const channel: JobChannel = { stopRequested, ready: () => void send({ type: 'ready' }) };
  const run = await load();
  const measured = await run(request.params as never, channel);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  await send({ type: 'report', report: { ...measured, peakRssMb } });
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    await send({
      type: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.exit(1);
  },
);

import {
  PipelineRunner,
  consoleLogger,
  launchJob,
  type JobMetrics,
  type StageMetrics,
  type JobSpec,
  type NamedTopics,
} from '@stream-gen/runtime';
import type { RunningJob } from '../measure-window';

/** Where a job of the bench runs: the bench's Kafka and Redis, its own group and topics. */
export interface KafkaJobParams {
  readonly brokers: readonly string[];
  readonly redisUrl: string;
  readonly groupId: string;
  readonly topics: NamedTopics;
  /** Tasks the job must own before it counts as ready. */
  readonly partitions: number;
  readonly sessionTimeoutMs: number;
  /** Overrides the job's checkpoint interval (STREAM_GEN_CHECKPOINT_INTERVAL_MS). */
  readonly checkpointIntervalMs?: number;
  /**
   * More of the job process's environment (STREAM_GEN_KAFKA_COMPRESSION, KAFKA_SSL, ...):
   * given to launchJob and set in process.env, where the producer reads
   * STREAM_GEN_KAFKA_IDEMPOTENCE.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts a job the way its generated runner does (launchJob, backends from the
 * environment: KafkajsClient, KafkaSink, RedisStateBackend), on the bench's services.
 */
export function launchOnKafka(options: {
  readonly job: JobSpec;
  readonly sinks: readonly string[];
  readonly params: KafkaJobParams;
  /** The job's default checkpoint interval, as its generated runner passes it. */
  readonly checkpointIntervalMs?: number;
  /** Events done so far, from the runner's metrics (and each stage's, for a job of several). */
  readonly progress: (metrics: JobMetrics, stages: readonly StageMetrics[]) => number;
  /** Segments of a job with keyed stages behind repartitions: each owns the partitions. */
  readonly segments?: number;
}): RunningJob {
  const { params } = options;
  Object.assign(process.env, params.env);
  const env: NodeJS.ProcessEnv = {
    ...params.env,
    KAFKA_BROKERS: params.brokers.join(','),
    REDIS_URL: params.redisUrl,
    STREAM_GEN_GROUP_ID: params.groupId,
    STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: String(params.sessionTimeoutMs),
  };
  if (params.checkpointIntervalMs !== undefined) {
    env.STREAM_GEN_CHECKPOINT_INTERVAL_MS = String(params.checkpointIntervalMs);
  }
  const runner = launchJob({
    job: options.job,
    sinks: options.sinks,
    topics: params.topics,
    env,
    logger: consoleLogger(`bench ${options.job.name}`, 'warn'),
    checkpointIntervalMs: options.checkpointIntervalMs,
  });
  // Not checked by class: launchJob wraps the runner of a job that publishes views (and
  // under STREAM_GEN_HTTP_PORT); KAFKA_BROKERS above makes it run on Kafka.
  const run = runner.run();
  const failed = run.then(() => {
    throw new Error('the job ended by itself');
  });
  failed.catch(() => undefined);
  return {
    progress: () =>
      options.progress(
        runner.metrics,
        runner instanceof PipelineRunner ? runner.stageMetrics() : [],
      ),
    ready: () => runner.status().length >= params.partitions * (options.segments ?? 1),
    failed,
    async stop() {
      await runner.stop();
      await run;
    },
    details: () => runner.metrics.snapshot(),
  };
}

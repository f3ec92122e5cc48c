import type { JobSpec } from '../job/job-spec';
import { defaultLogger, type Logger } from '../util/logger';
import { MemoryStateBackend } from '../state/memory-state.backend';
import { ConfigurationError } from '../util/errors';
import { startStatusServer } from './status-server';
import { resolveBackends } from './backends';
import { embeddedBackends } from './embedded-backends';
import { GroupJobRunner } from './group-job-runner';
import type { RunSummary } from './job-runner';
import { JobRunner } from './job-runner';
import {
  checkpointIntervalFrom,
  fileBatchSizeFrom,
  namespaceFrom,
  namespacedTopics,
  withBoundOverrides,
} from './env-overrides';
import { connectorsFor, type NamedTopics, type RunBindings } from './run-bindings';

export interface LaunchOptions {
  readonly job: JobSpec;
  /** Every sink the job declares (routed or not). */
  readonly sinks: readonly string[];
  readonly topics?: NamedTopics;
  readonly bindings?: RunBindings;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  readonly checkpointIntervalMs?: number;
}

/**
 * Builds the runner of a job the way generated code wants it: backends from the
 * environment (embedded unless KAFKA_BROKERS/REDIS_URL), connectors from topics and
 * file bindings, checkpoint interval from the job or STREAM_GEN_CHECKPOINT_INTERVAL_MS.
 */
export function launchJob(options: LaunchOptions): RunningJob {
  const env = options.env ?? process.env;
  const logger = options.logger ?? defaultLogger(options.job.name);
  const runner = createRunner(options, env, logger);
  const port = env.STREAM_GEN_HTTP_PORT;
  return port ? withStatusServer(runner, Number(port), options.job.name, logger) : runner;
}

function createRunner(
  options: LaunchOptions,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): JobRunner | GroupJobRunner {
  const ns = namespaceFrom(env);
  const job = withBoundOverrides(options.job, env);
  const backends = resolveBackends(env, logger, undefined, ns.redisKeyPrefix);
  const topics = namespacedTopics(
    options.topics ?? {
      sources: Object.fromEntries(job.sources.map((s) => [s.name, s.name])),
      sinks: Object.fromEntries(options.sinks.map((n) => [n, n])),
    },
    ns,
  );
  const bindings = options.bindings ?? { sourceFiles: {}, sinkFiles: {} };
  const fileRun =
    Object.keys(bindings.sourceFiles).length + Object.keys(bindings.sinkFiles).length > 0;
  const checkpointIntervalMs = checkpointIntervalFrom(env) ?? options.checkpointIntervalMs;
  if (backends.mode === 'kafka' && !fileRun) {
    const operator = job.operator?.name;
    return new GroupJobRunner({
      job,
      client: backends.client,
      topics,
      sinks: Object.fromEntries(options.sinks.map((n) => [n, backends.sink(n, topics.sinks[n])])),
      backend: backends.backend,
      backendsDescription: backends.description,
      groupId: env.STREAM_GEN_GROUP_ID || ns.groupId(job.name),
      repartitionTopic: operator ? ns.topic(`${job.name}.${operator}.repartition`) : undefined,
      logger,
      checkpointIntervalMs,
      onClose: () => backends.close(),
    });
  }
  if (backends.mode === 'embedded' && !fileRun) {
    logger.warn(
      'nothing outside this process can write to the embedded log: pass --source <name>=<file.jsonl> ' +
        'for a bounded run over files, or set KAFKA_BROKERS to read topics',
    );
  }
  const { sources, sinks } = connectorsFor(
    { sources: job.sources.map((s) => s.name), sinks: options.sinks },
    topics,
    bindings,
    backends.mode === 'embedded' ? backends : embeddedBackends(),
    logger,
  );
  const batchSize = fileRun ? fileBatchSizeFrom(env) : undefined;
  return new JobRunner({
    job,
    sources,
    sinks,
    // A file run starts over every time, so its state must too: always in memory.
    backend: fileRun ? new MemoryStateBackend() : backends.backend,
    backendsDescription: fileRun
      ? `JSON-lines files, read ${batchSize === 1 ? 'a record' : `${batchSize} records`} at a time, with in-memory state`
      : backends.description,
    logger,
    checkpointIntervalMs,
    batchSize,
    onClose: () => backends.close(),
  });
}

/** What generated runners hold: a job that runs until it ends or is stopped. */
export interface RunningJob {
  run(): Promise<RunSummary>;
  stop(): Promise<void>;
}

/** STREAM_GEN_HTTP_PORT: /health and /metrics while the job runs (0 picks a free port). */
function withStatusServer(
  runner: JobRunner | GroupJobRunner,
  port: number,
  job: string,
  logger: Logger,
): RunningJob {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`STREAM_GEN_HTTP_PORT must be a port number, got "${port}"`);
  }
  return {
    async run() {
      const server = await startStatusServer(port, job, runner, logger);
      try {
        return await runner.run();
      } finally {
        await server.close();
      }
    },
    stop: () => runner.stop(),
  };
}

import { withWindowOverrides } from './window-overrides';
import type { JobSpec } from '../job/job-spec';
import { defaultLogger, type Logger } from '../util/logger';
import { MemoryStateBackend } from '../state/memory-state.backend';
import { ConfigurationError } from '../util/errors';
import { startStatusServer } from './status-server';
import { resolveBackends, type KafkaBackends } from './backends';
import { embeddedBackends, type EmbeddedBackends } from './embedded-backends';
import type { SinkConnector, SourceConnector } from '../connectors/connector';
import { EmbeddedLogSink, EmbeddedLogSource } from '../connectors/embedded-log.connectors';
import { compressionBySink } from '../connectors/kafka/compression-setting';
import { withCompression } from '../connectors/kafka/kafka.sink';
import type { EmbeddedLog } from '../connectors/embedded-log';
import type { KeyedStageSpec } from '../job/job-spec';
import { exchangeTopic, segmentTaskId, type JobSegment } from '../job/segments';
import type { JobMetrics } from '../task/metrics';
import type { TaskStatus } from '../task/stream-task';
import { embeddedExchange, kafkaExchange } from './exchange-writer';
import { PipelineRunner } from './pipeline-runner';
import type { SegmentOptions } from './segment-options';
import { GroupJobRunner } from './group-job-runner';
import type { RunSummary } from './job-runner';
import { JobRunner } from './job-runner';
import {
  checkpointIntervalFrom,
  sinkBufferFrom,
  fileBatchSizeFrom,
  namespaceFrom,
  namespacedTopics,
  withBoundOverrides,
} from './env-overrides';
import { viewCachesFor } from './view-caches';
import { StateQueries } from './state-queries';
import { InstanceHeartbeat } from '../registry/instance-heartbeat';
import { jobVersion } from '../registry/job-version';
import { redisTarget } from './redis-target';
import { SnapshotLoader, snapshotsFrom, type Snapshots } from './snapshot-loader';
import type { QueryAnswer, StateQuery } from '../query/state-query';
import type { PublishedView } from '../view/view-spec';
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
  /** The embedded log to run on (tests and hand-written mains that fill it themselves). */
  readonly log?: EmbeddedLog;
  /**
   * Sinks with a connector of their own, not a topic (a router's PostgreSQL, Redis,
   * HTTP, file and null routes); a `--sink <name>=<file.jsonl>` binding replaces one.
   */
  readonly connectors?: Readonly<Record<string, SinkConnector>>;
  /**
   * How long a failing sink write is retried with backoff, the task waiting, before the
   * job fails (default: 10 min on Kafka, 0 on the embedded backends); Infinity: forever.
   */
  readonly sinkRetryMs?: number;
  /**
   * Records a sink may hold flushed but not yet written before the job waits for it
   * (default 0: every flush waits; `STREAM_GEN_SINK_BUFFER_RECORDS` sets it).
   */
  readonly sinkBufferRecords?: number;
}

/**
 * Builds the runner of a job the way generated code wants it: backends from the
 * environment (embedded unless KAFKA_BROKERS/REDIS_URL), connectors from topics and
 * file bindings, checkpoint interval from the job or STREAM_GEN_CHECKPOINT_INTERVAL_MS.
 */
export function launchJob(options: LaunchOptions): ObservedJob {
  const env = options.env ?? process.env;
  const logger = options.logger ?? defaultLogger(options.job.name);
  const runner = createRunner(options, env, logger);
  const heartbeat = heartbeatFor(options, env, runner, logger);
  const port = env.STREAM_GEN_HTTP_PORT;
  const served = port
    ? withStatusServer(runner, Number(port), options.job.name, env, logger, heartbeat)
    : runner;
  return heartbeat ? withHeartbeat(served, heartbeat) : served;
}

/** A run over files (a `--source` or `--sink` file binding): it starts over, alone. */
function isFileRun(bindings: RunBindings | undefined): boolean {
  return (
    Object.keys(bindings?.sourceFiles ?? {}).length +
      Object.keys(bindings?.sinkFiles ?? {}).length >
    0
  );
}

/**
 * On Kafka with Redis state, where processes share the job's tasks, each process
 * registers in the Redis of the state and heartbeats there while it runs (see
 * `registry/instance-heartbeat.ts`): what `stream-gen jobs` and `stream-gen status` read.
 */
function heartbeatFor(
  options: LaunchOptions,
  env: NodeJS.ProcessEnv,
  runner: ObservedJob,
  logger: Logger,
): InstanceHeartbeat | undefined {
  const target = env.KAFKA_BROKERS && !isFileRun(options.bindings) ? redisTarget(env) : undefined;
  if (!target) return undefined;
  return new InstanceHeartbeat({
    job: options.job.name,
    version: jobVersion(options.job, [...options.sinks, ...Object.keys(options.connectors ?? {})]),
    target,
    keyPrefix: namespaceFrom(env).redisKeyPrefix,
    source: runner,
    logger,
  });
}

/** The heartbeat beats from before the job runs until after it stopped (its last beat says so). */
function withHeartbeat(runner: ObservedJob, heartbeat: InstanceHeartbeat): ObservedJob {
  return aroundRun(runner, async () => {
    await heartbeat.start();
    try {
      return await runner.run();
    } finally {
      await heartbeat.stop();
    }
  });
}

function createRunner(options: LaunchOptions, env: NodeJS.ProcessEnv, logger: Logger): ObservedJob {
  const ns = namespaceFrom(env);
  const job = withWindowOverrides(withBoundOverrides(options.job, env), env);
  const backends = resolveBackends(env, logger, options.log, ns.redisKeyPrefix);
  const topics = namespacedTopics(
    options.topics ?? {
      sources: Object.fromEntries(job.sources.map((s) => [s.name, s.name])),
      sinks: Object.fromEntries(options.sinks.map((n) => [n, n])),
    },
    ns,
  );
  const bindings = options.bindings ?? { sourceFiles: {}, sinkFiles: {} };
  const fileRun = isFileRun(bindings);
  const checkpointIntervalMs = checkpointIntervalFrom(env) ?? options.checkpointIntervalMs;
  const sinkBufferRecords = sinkBufferFrom(env) ?? options.sinkBufferRecords;
  const kafka = backends.mode === 'kafka' && !fileRun ? backends : undefined;
  if (backends.mode === 'embedded' && !fileRun && !options.log) {
    logger.warn(
      'nothing outside this process can write to the embedded log: pass --source <name>=<file.jsonl> ' +
        'for a bounded run over files, or set KAFKA_BROKERS to read topics',
    );
  }
  const local = kafka ? undefined : backends.mode === 'embedded' ? backends : embeddedBackends();
  const own = Object.entries(options.connectors ?? {}).filter(([n]) => !bindings.sinkFiles[n]);
  const connectors = local
    ? connectorsFor(
        {
          sources: job.sources.map((s) => s.name),
          sinks: [...options.sinks, ...Object.keys(options.connectors ?? {})],
        },
        topics,
        bindings,
        local,
        logger,
      )
    : undefined;
  const compression = compressionBySink(env, [
    ...options.sinks,
    ...Object.keys(options.connectors ?? {}),
  ]);
  const sinks = {
    ...(connectors?.sinks ??
      Object.fromEntries(
        options.sinks.map((n) => [
          n,
          withCompression((kafka as KafkaBackends).sink(n, topics.sinks[n]), compression.get(n)),
        ]),
      )),
    // a connector that is a topic (of another cluster) is compressed as the setting says
    ...Object.fromEntries(own.map(([n, c]) => [n, withCompression(c, compression.get(n))])),
  };
  // A file run starts over every time, so its state must too: always in memory.
  const backend = fileRun ? new MemoryStateBackend() : backends.backend;
  const batchSize = fileRun ? fileBatchSizeFrom(env) : undefined;
  const groupId = env.STREAM_GEN_GROUP_ID || ns.groupId(job.name);
  const views = viewCachesFor(job, env, ns, logger);
  const snapshots = snapshotsFrom(env, job);
  if (snapshots.size > 0 && fileRun) {
    logger.warn(
      'STREAM_GEN_SNAPSHOTS is ignored in a run over files: bind a snapshot with --source <name>=<file.jsonl>',
    );
  }
  const loader =
    snapshots.size > 0 && !fileRun
      ? new SnapshotLoader(
          job,
          snapshots,
          (source) =>
            kafka
              ? kafka.sink(`snapshot of ${source}`, topics.sources[source])
              : new EmbeddedLogSink(
                  (local as EmbeddedBackends).log,
                  source,
                  topics.sources[source],
                ),
          logger,
        )
      : undefined;

  const segmentRunner = (
    segment: JobSegment,
    extra: SegmentOptions & { readonly sinks: Readonly<Record<string, SinkConnector>> },
    onClose?: () => Promise<void>,
  ): JobRunner | GroupJobRunner => {
    const stage = segment.stage;
    const exchange = stage ? ns.topic(exchangeTopic(job.name, stage)) : undefined;
    const taskIdOf = stage ? (p: number) => segmentTaskId(segment, p) : undefined;
    if (kafka) {
      const operator = segment.job.operator?.name;
      return new GroupJobRunner({
        ...extra,
        views,
        job: segment.job,
        client: kafka.client,
        topics: exchange && stage ? { sources: { [stage.input]: exchange }, sinks: {} } : topics,
        backend,
        backendsDescription: kafka.description,
        groupId: stage ? `${groupId}.${stage.id}` : groupId,
        repartitionTopic: operator ? ns.topic(`${job.name}.${operator}.repartition`) : undefined,
        logger,
        checkpointIntervalMs,
        sinkRetryMs: options.sinkRetryMs,
        sinkBufferRecords,
        taskIdOf,
        onClose,
      });
    }
    const log = (local as EmbeddedBackends).log;
    return new JobRunner({
      ...extra,
      views,
      job: segment.job,
      sources:
        exchange && stage
          ? { [stage.input]: new EmbeddedLogSource(log, stage.input, exchange) }
          : (connectors as { sources: Record<string, SourceConnector> }).sources,
      backend,
      backendsDescription: fileRun
        ? `JSON-lines files, read ${batchSize === 1 ? 'a record' : `${batchSize} records`} at a time, with in-memory state`
        : backends.description,
      logger,
      checkpointIntervalMs,
      sinkRetryMs: options.sinkRetryMs,
      sinkBufferRecords,
      batchSize,
      taskIdOf,
      onClose,
    });
  };

  const runner = !job.keyedStages?.length
    ? segmentRunner({ job }, { sinks }, () => backends.close())
    : new PipelineRunner({
        job,
        logger,
        sinks,
        runner: (segment, extra) => segmentRunner(segment, extra),
        exchange: async (segment, upstreamTasks) => {
          const topic = ns.topic(exchangeTopic(job.name, segment.stage as KeyedStageSpec));
          return kafka
            ? kafkaExchange(kafka.client, job.name, topic)
            : embeddedExchange((local as EmbeddedBackends).log, topic, upstreamTasks);
        },
        onClose: () => backends.close(),
      });
  return withSnapshots(withViewCaches(runner, views), loader);
}

/** The views' caches are open while the job runs. */
function withViewCaches(runner: ObservedJob, views: readonly PublishedView[]): ObservedJob {
  if (views.length === 0) return runner;
  return aroundRun(runner, async () => {
    try {
      await Promise.all(views.map((v) => v.cache.open()));
      return await runner.run();
    } finally {
      await Promise.allSettled(views.map((v) => v.cache.close()));
    }
  });
}

/**
 * STREAM_GEN_SNAPSHOTS: each snapshot is loaded into its source's topic before the job
 * starts, and again on `POST /snapshot/<source>` (see `snapshot-loader.ts`).
 */
function withSnapshots(runner: ObservedJob, loader: SnapshotLoader | undefined): ObservedJob {
  if (!loader) return runner;
  return {
    ...aroundRun(runner, async () => {
      for (const source of loader.sources) await loader.load(source);
      return runner.run();
    }),
    snapshots: loader,
  };
}

/** `runner` with another `run` (that calls its own), everything else as it is. */
function aroundRun(runner: ObservedJob, run: () => Promise<RunSummary>): ObservedJob {
  return {
    run,
    stop: () => runner.stop(),
    status: () => runner.status(),
    requestCheckpoint: () => runner.requestCheckpoint(),
    queryState: (query) => runner.queryState(query),
    snapshots: runner.snapshots,
    get metrics() {
      return runner.metrics;
    },
  };
}

/** What generated runners hold: a job that runs until it ends or is stopped. */
export interface RunningJob {
  run(): Promise<RunSummary>;
  stop(): Promise<void>;
}

/** A running job with its tasks' status and its counters (for health pages and benches). */
export interface ObservedJob extends RunningJob {
  status(): TaskStatus[];
  /** Makes a checkpoint of every task of this process due now: views publish after it (`POST /flush`). */
  requestCheckpoint(): void;
  /** Reads a key of keyed state from its task, when this process runs it (`GET /state/...`). */
  queryState(query: StateQuery): Promise<QueryAnswer>;
  /** The snapshots of its sources (STREAM_GEN_SNAPSHOTS), loaded again on `POST /snapshot/<source>`. */
  readonly snapshots?: Snapshots;
  readonly metrics: JobMetrics;
}

/**
 * STREAM_GEN_HTTP_PORT: /health, /metrics, POST /flush and /state/... while the job runs
 * (0 picks a free port); with a heartbeat (Kafka with Redis state) the process announces
 * its tasks with it so that the others forward state queries to it (see
 * `state-queries.ts`).
 */
function withStatusServer(
  runner: ObservedJob,
  port: number,
  job: string,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  heartbeat: InstanceHeartbeat | undefined,
): ObservedJob {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`STREAM_GEN_HTTP_PORT must be a port number, got "${port}"`);
  }
  return aroundRun(runner, async () => {
    const queries = new StateQueries(job, runner, env, logger, heartbeat);
    const server = await startStatusServer(port, job, runner, logger, queries);
    try {
      await queries.start(server.port);
      return await runner.run();
    } finally {
      await queries.stop();
      await server.close();
    }
  });
}

import type { JobSpec } from '../job/job-spec';
import { defaultLogger, type Logger } from '../util/logger';
import { resolveBackends } from './embedded-backends';
import { JobRunner } from './job-runner';
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
export function launchJob(options: LaunchOptions): JobRunner {
  const env = options.env ?? process.env;
  const logger = options.logger ?? defaultLogger(options.job.name);
  const backends = resolveBackends(env);
  const { sources, sinks } = connectorsFor(
    { sources: options.job.sources.map((s) => s.name), sinks: options.sinks },
    options.topics ?? { sources: {}, sinks: {} },
    options.bindings ?? { sourceFiles: {}, sinkFiles: {} },
    backends,
    logger,
  );
  const fromEnv = Number(env.STREAM_GEN_CHECKPOINT_INTERVAL_MS);
  return new JobRunner({
    job: options.job,
    sources,
    sinks,
    backend: backends.backend,
    backendsDescription: backends.description,
    logger,
    checkpointIntervalMs:
      Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : options.checkpointIntervalMs,
  });
}

import type { JobSpec } from '../job/job-spec';
import { ConfigurationError } from '../util/errors';
import type { NamedTopics } from './run-bindings';

/**
 * STREAM_GEN_NAMESPACE: runs one more copy of a job beside others on the same Kafka
 * and Redis (a staging copy, a restatement, a test) without sharing anything: topics
 * become `<ns>.<topic>`, the consumer group `<ns>.stream-gen.<job>` and Redis keys
 * `sg:<ns>:...`.
 */
export interface Namespace {
  readonly name: string | undefined;
  topic(topic: string): string;
  groupId(job: string): string;
  readonly redisKeyPrefix: string;
}

export function namespaceFrom(env: NodeJS.ProcessEnv): Namespace {
  const name = env.STREAM_GEN_NAMESPACE || undefined;
  if (name !== undefined && !/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new ConfigurationError(
      `STREAM_GEN_NAMESPACE may hold letters, digits, ".", "_" and "-" only, got "${name}"`,
    );
  }
  const prefix = name === undefined ? '' : `${name}.`;
  return {
    name,
    topic: (topic) => `${prefix}${topic}`,
    groupId: (job) => `${prefix}stream-gen.${job}`,
    redisKeyPrefix: name === undefined ? 'sg' : `sg:${name}`,
  };
}

export function namespacedTopics(topics: NamedTopics, ns: Namespace): NamedTopics {
  const map = (m: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(m).map(([name, topic]) => [name, ns.topic(topic)]));
  return { sources: map(topics.sources), sinks: map(topics.sinks) };
}

/**
 * STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS: the bound of every source (`30000`), or of
 * named ones (`impressions=30000,plays=5000`), instead of the one the job declares.
 */
export function withBoundOverrides(job: JobSpec, env: NodeJS.ProcessEnv): JobSpec {
  const raw = env.STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS;
  if (!raw) return job;
  const names = job.sources.map((s) => s.name);
  const bounds = new Map<string, number>();
  for (const part of raw.split(',').map((p) => p.trim())) {
    const [name, value] = part.includes('=') ? part.split('=', 2) : [undefined, part];
    const ms = Number(value);
    if (!value || !Number.isFinite(ms) || ms < 0) {
      throw new ConfigurationError(
        `STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS needs milliseconds, or <source>=<ms>,..., got "${raw}"`,
      );
    }
    if (name !== undefined && !names.includes(name)) {
      throw new ConfigurationError(
        `STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS names "${name}", but ${job.name} has the sources ${names.join(', ')}`,
      );
    }
    for (const n of name === undefined ? names : [name]) bounds.set(n, ms);
  }
  return {
    ...job,
    sources: job.sources.map((s) =>
      bounds.has(s.name) && s.eventTime
        ? { ...s, eventTime: { ...s.eventTime, maxOutOfOrdernessMs: bounds.get(s.name)! } }
        : s,
    ),
  };
}

/**
 * STREAM_GEN_FILE_BATCH_SIZE: records a file run reads per batch (default 1). The
 * watermark moves after each batch, so with 1 a record is judged late as a reader of a
 * live stream delivering the records in file order would judge it, and timers fire
 * between records as they would there (several files are read a record from each in
 * turn). Larger batches are faster and let a record that is out of order within its
 * batch pass as on time.
 */
export function fileBatchSizeFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.STREAM_GEN_FILE_BATCH_SIZE;
  if (raw === undefined || raw === '') return 1;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1) {
    throw new ConfigurationError(
      `STREAM_GEN_FILE_BATCH_SIZE must be a whole number of records >= 1, got "${raw}"`,
    );
  }
  return size;
}

/** STREAM_GEN_CHECKPOINT_INTERVAL_MS: ms between checkpoints of a task, instead of the job's. */
export function checkpointIntervalFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.STREAM_GEN_CHECKPOINT_INTERVAL_MS;
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new ConfigurationError(
      `STREAM_GEN_CHECKPOINT_INTERVAL_MS must be milliseconds > 0, got "${raw}"`,
    );
  }
  return ms;
}

/**
 * STREAM_GEN_SINK_BUFFER_RECORDS: records a sink may hold flushed but not yet written
 * before the job waits for it (0: every flush waits for its writes).
 */
export function sinkBufferFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.STREAM_GEN_SINK_BUFFER_RECORDS;
  if (raw === undefined || raw === '') return undefined;
  const records = Number(raw);
  if (!Number.isInteger(records) || records < 0) {
    throw new ConfigurationError(
      `STREAM_GEN_SINK_BUFFER_RECORDS must be a whole number of records >= 0, got "${raw}"`,
    );
  }
  return records;
}

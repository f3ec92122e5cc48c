import { EmbeddedLog } from '../connectors/embedded-log';
import { EmbeddedLogSink, EmbeddedLogSource } from '../connectors/embedded-log.connectors';
import { MemoryStateBackend } from '../state/memory-state.backend';
import { ConfigurationError } from '../util/errors';

/** The backends a job runs on when neither KAFKA_BROKERS nor REDIS_URL is set. */
export interface EmbeddedBackends {
  readonly mode: 'embedded';
  readonly log: EmbeddedLog;
  readonly backend: MemoryStateBackend;
  /** The one line said at start. */
  readonly description: string;
  source(name: string, topic?: string): EmbeddedLogSource;
  sink(name: string, topic?: string): EmbeddedLogSink;
}

export function embeddedBackends(log = new EmbeddedLog()): EmbeddedBackends {
  return {
    mode: 'embedded',
    log,
    backend: new MemoryStateBackend(),
    description:
      'embedded backends (in-process log, in-memory state; set KAFKA_BROKERS and REDIS_URL for Kafka and Redis)',
    source: (name, topic) => new EmbeddedLogSource(log, name, topic),
    sink: (name, topic) => new EmbeddedLogSink(log, name, topic),
  };
}

/**
 * Picks the backends from the environment. This build ships the embedded ones only;
 * asking for Kafka or Redis fails loudly instead of quietly running embedded.
 */
export function resolveBackends(
  env: NodeJS.ProcessEnv = process.env,
  log?: EmbeddedLog,
): EmbeddedBackends {
  const asked = ['KAFKA_BROKERS', 'REDIS_URL'].filter((name) => env[name]);
  if (asked.length > 0) {
    throw new ConfigurationError(
      `${asked.join(' and ')} ${asked.length > 1 ? 'are' : 'is'} set, but this build of @stream-gen/runtime ` +
        `has no Kafka or Redis backend yet; unset ${asked.join(' and ')} to run on the embedded backends`,
    );
  }
  return embeddedBackends(log);
}

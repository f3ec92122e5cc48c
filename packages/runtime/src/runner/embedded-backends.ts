import { EmbeddedLog } from '../connectors/embedded-log';
import { EmbeddedLogSink, EmbeddedLogSource } from '../connectors/embedded-log.connectors';
import { MemoryStateBackend } from '../state/memory-state.backend';
import type { StateBackend } from '../state/state-backend';

/** The backends a job runs on when neither KAFKA_BROKERS nor REDIS_URL is set. */
export interface EmbeddedBackends {
  readonly mode: 'embedded';
  readonly log: EmbeddedLog;
  readonly backend: StateBackend;
  /** The one line said at start. */
  readonly description: string;
  source(name: string, topic?: string): EmbeddedLogSource;
  sink(name: string, topic?: string): EmbeddedLogSink;
  close(): Promise<void>;
}

export function embeddedBackends(
  log = new EmbeddedLog(),
  backend: StateBackend = new MemoryStateBackend(),
): EmbeddedBackends {
  return {
    mode: 'embedded',
    log,
    backend,
    description:
      'embedded backends (in-process log, in-memory state; set KAFKA_BROKERS and REDIS_URL for Kafka and Redis)',
    source: (name, topic) => new EmbeddedLogSource(log, name, topic),
    sink: (name, topic) => new EmbeddedLogSink(log, name, topic),
    close: async () => undefined,
  };
}

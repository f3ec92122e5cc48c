import type { SinkConnector, SourceConnector } from '../connectors/connector';
import { JsonlFileSink, JsonlFileSource } from '../connectors/jsonl-file.connectors';
import { LoggingSink } from '../connectors/logging.sink';
import { ConfigurationError } from '../util/errors';
import type { Logger } from '../util/logger';
import type { EmbeddedBackends } from './embedded-backends';

/** Where a run reads and writes: files bound by name, otherwise topics. */
export interface RunBindings {
  /** Source name -> JSON-lines file. Binding every source makes the run bounded. */
  readonly sourceFiles: Readonly<Record<string, string>>;
  readonly sinkFiles: Readonly<Record<string, string>>;
}

export interface NamedTopics {
  /** Source name -> topic. */
  readonly sources: Readonly<Record<string, string>>;
  readonly sinks: Readonly<Record<string, string>>;
}

/** Parses `--source name=file.jsonl` and `--sink name=file.jsonl` (repeatable); rejects anything else. */
export function parseRunBindings(args: readonly string[]): RunBindings {
  const sourceFiles: Record<string, string> = {};
  const sinkFiles: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const [name, value] =
      flag.includes('=') && flag.startsWith('--') ? flag.split(/=(.*)/s) : [flag, args[++i]];
    const target = name === '--source' ? sourceFiles : name === '--sink' ? sinkFiles : undefined;
    if (!target)
      throw new ConfigurationError(
        `unknown option "${flag}": use --source <name>=<file.jsonl> or --sink <name>=<file.jsonl>`,
      );
    const match = value === undefined ? null : /^([^=]+)=(.+)$/.exec(value);
    if (!match)
      throw new ConfigurationError(`${name} needs <name>=<file.jsonl>, got "${value ?? ''}"`);
    if (target[match[1]]) throw new ConfigurationError(`${name} ${match[1]} is bound twice`);
    target[match[1]] = match[2];
  }
  return { sourceFiles, sinkFiles };
}

/**
 * Connectors of a run. With files bound, every source must be a file (the run is
 * bounded and ends) and sinks without a file are logged; otherwise sources and sinks
 * are topics of the chosen backends.
 */
export function connectorsFor(
  names: { readonly sources: readonly string[]; readonly sinks: readonly string[] },
  topics: NamedTopics,
  bindings: RunBindings,
  backends: Pick<EmbeddedBackends, 'source' | 'sink'>,
  logger: Logger,
): { sources: Record<string, SourceConnector>; sinks: Record<string, SinkConnector> } {
  const unknown = [
    ...Object.keys(bindings.sourceFiles)
      .filter((n) => !names.sources.includes(n))
      .map((n) => `source "${n}"`),
    ...Object.keys(bindings.sinkFiles)
      .filter((n) => !names.sinks.includes(n))
      .map((n) => `sink "${n}"`),
  ];
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `the job has no ${unknown.join(', ')} (sources: ${names.sources.join(', ')}; sinks: ${names.sinks.join(', ') || 'none'})`,
    );
  }
  const fileRun =
    Object.keys(bindings.sourceFiles).length > 0 || Object.keys(bindings.sinkFiles).length > 0;
  const missing = names.sources.filter((n) => !bindings.sourceFiles[n]);
  if (fileRun && missing.length > 0) {
    throw new ConfigurationError(
      `a file run needs a file for every source; missing: ${missing.map((n) => `--source ${n}=<file.jsonl>`).join(' ')}`,
    );
  }
  const sources: Record<string, SourceConnector> = {};
  for (const name of names.sources) {
    const file = bindings.sourceFiles[name];
    sources[name] = file
      ? new JsonlFileSource(name, file)
      : backends.source(name, topics.sources[name] ?? name);
  }
  const sinks: Record<string, SinkConnector> = {};
  for (const name of names.sinks) {
    const file = bindings.sinkFiles[name];
    sinks[name] = file
      ? new JsonlFileSink(name, file)
      : fileRun
        ? new LoggingSink(name, logger)
        : backends.sink(name, topics.sinks[name] ?? name);
  }
  return { sources, sinks };
}

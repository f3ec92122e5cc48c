import { ConfigurationError } from '../../util/errors';
import { COMPRESSION_NAMES, type CompressionName } from './compression-codecs';

export const COMPRESSION_SETTING = 'STREAM_GEN_KAFKA_COMPRESSION';

const CHOICES = ['none', ...COMPRESSION_NAMES];

/**
 * STREAM_GEN_KAFKA_COMPRESSION: the codec of every Kafka sink (`zstd`), or of named
 * ones (`orders=lz4,audit=gzip`; the others write uncompressed). Unset: none.
 */
export function compressionBySink(
  env: NodeJS.ProcessEnv,
  sinks: readonly string[],
): ReadonlyMap<string, CompressionName> {
  const raw = env[COMPRESSION_SETTING]?.trim();
  const bySink = new Map<string, CompressionName>();
  if (!raw) return bySink;
  if (!raw.includes('=')) {
    const codec = codecNamed(raw, raw);
    if (codec) for (const sink of sinks) bySink.set(sink, codec);
    return bySink;
  }
  for (const part of raw.split(',').map((p) => p.trim())) {
    const at = part.indexOf('=');
    const sink = part.slice(0, at).trim();
    if (at <= 0 || !sink) {
      throw new ConfigurationError(
        `${COMPRESSION_SETTING} needs a codec, or <sink>=<codec>,..., got "${raw}"`,
      );
    }
    if (!sinks.includes(sink)) {
      throw new ConfigurationError(
        `${COMPRESSION_SETTING} names the sink "${sink}", but the job's Kafka sinks are ` +
          `${sinks.length > 0 ? sinks.join(', ') : '(none)'}`,
      );
    }
    const codec = codecNamed(part.slice(at + 1).trim(), raw);
    if (codec) bySink.set(sink, codec);
  }
  return bySink;
}

function codecNamed(name: string, raw: string): CompressionName | undefined {
  const lower = name.toLowerCase();
  if (!CHOICES.includes(lower)) {
    throw new ConfigurationError(
      `${COMPRESSION_SETTING} names the codec "${name}" (in "${raw}"); it takes ${CHOICES.join(', ')}`,
    );
  }
  return lower === 'none' ? undefined : (lower as CompressionName);
}

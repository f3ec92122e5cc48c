import { CompressionCodecs, CompressionTypes, type ConsumerConfig, type Kafka } from 'kafkajs';
// the runtime fills kafkajs' codec table with its snappy, lz4 and zstd adapters on import
import '@stream-gen/runtime';

type Compressed = Exclude<CompressionTypes, CompressionTypes.None>;

const CODEC_NAMES: ReadonlyArray<[Compressed, string]> = [
  [CompressionTypes.GZIP, 'gzip'],
  [CompressionTypes.Snappy, 'snappy'],
  [CompressionTypes.LZ4, 'lz4'],
  [CompressionTypes.ZSTD, 'zstd'],
];

/** What the record batches read back from a topic were written with. */
export interface BatchSample {
  /** Records read (from the first batches of the topic's partitions). */
  readonly records: number;
  /** Compressed batches decompressed, per codec (none: the batches were not compressed). */
  readonly compressedBatches: Readonly<Record<string, number>>;
  /** Bytes the consumer decompressed, and what they became. */
  readonly compressedBytes: number;
  readonly decompressedBytes: number;
}

/**
 * Reads at least `records` records of `topic` from the beginning with a kafkajs consumer
 * of its own group, counting what its codec table decompressed meanwhile (the batch
 * attributes pick the codec, so a batch written uncompressed decompresses nothing).
 */
export async function sampleBatches(
  kafka: Kafka,
  topic: string,
  consumer: ConsumerConfig,
  records = 5000,
): Promise<BatchSample> {
  const compressedBatches: Record<string, number> = {};
  let compressedBytes = 0;
  let decompressedBytes = 0;
  const originals = new Map(CODEC_NAMES.map(([type]) => [type, CompressionCodecs[type]]));
  for (const [type, name] of CODEC_NAMES) {
    const original = originals.get(type);
    if (!original) continue;
    CompressionCodecs[type] = () => {
      const codec = original();
      return {
        compress: codec.compress,
        decompress: async (data: Buffer) => {
          const out = await codec.decompress(data);
          compressedBatches[name] = (compressedBatches[name] ?? 0) + 1;
          compressedBytes += data.length;
          decompressedBytes += out.length;
          return out;
        },
      };
    };
  }
  const reader = kafka.consumer(consumer);
  let read = 0;
  try {
    await reader.connect();
    let done: () => void = () => undefined;
    const enough = new Promise<void>((resolve) => (done = resolve));
    await reader.subscribe({ topics: [topic], fromBeginning: true });
    await reader.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        read += batch.messages.length;
        if (read >= records) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`read ${read} records of ${topic}`)), 60_000);
    });
    try {
      await Promise.race([enough, late]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await reader.disconnect();
    for (const [type, original] of originals) if (original) CompressionCodecs[type] = original;
  }
  return { records: read, compressedBatches, compressedBytes, decompressedBytes };
}

/** Fails unless every batch decompressed was `codec`, and some were, at least 1.5× smaller. */
export function checkCompressed(sample: BatchSample, codec: string, topic: string): void {
  const codecs = Object.keys(sample.compressedBatches);
  const ratio = sample.decompressedBytes / sample.compressedBytes;
  if (codecs.length !== 1 || codecs[0] !== codec || !(ratio >= 1.5)) {
    throw new Error(
      `${topic}: expected ${codec} batches, read ${sample.records} records in ` +
        `${JSON.stringify(sample.compressedBatches)} compressed batches ` +
        `(${sample.compressedBytes} -> ${sample.decompressedBytes} bytes)`,
    );
  }
}

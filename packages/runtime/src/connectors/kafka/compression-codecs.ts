import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { isXerialFramed, xerialBlocks } from './xerial-snappy';

/**
 * The record batch codecs (attributes bits 0-2), one adapter each over a maintained
 * package whose binary comes from the npm registry (`snappy`, `lz4-napi`,
 * `@toondepauw/node-zstd`; gzip is node:zlib). The producer compresses a batch's
 * records section with them and kafkajs' consumer decompresses with the same adapters
 * (see {@link registerKafkajsCodecs}). The native packages load on first use, so a job
 * that compresses nothing never loads them.
 *
 * What each writes: gzip at zlib's default level (Kafka's too); snappy raw, as
 * librdkafka and kafkajs do (Kafka's Java client reads raw snappy as well as its own
 * xerial framing; both are read here); lz4 in the LZ4 frame format with independent
 * 64 KB blocks (KIP-57); zstd at level 3 (Kafka's default).
 */
export type CompressionName = 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const COMPRESSION_NAMES: readonly CompressionName[] = ['gzip', 'snappy', 'lz4', 'zstd'];

export interface CompressionCodec {
  readonly name: CompressionName;
  /** The codec's id in a record batch's attributes. */
  readonly id: number;
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

const ZSTD_LEVEL = 3;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/* eslint-disable @typescript-eslint/no-require-imports */
let snappyModule: typeof import('snappy') | undefined;
const snappy = () => (snappyModule ??= require('snappy') as typeof import('snappy'));
let lz4Module: typeof import('lz4-napi') | undefined;
const lz4 = () => (lz4Module ??= require('lz4-napi') as typeof import('lz4-napi'));
let zstdModule: typeof import('@toondepauw/node-zstd') | undefined;
const zstd = () =>
  (zstdModule ??= require('@toondepauw/node-zstd') as typeof import('@toondepauw/node-zstd'));
/* eslint-enable @typescript-eslint/no-require-imports */

let zstdEncoder: import('@toondepauw/node-zstd').Encoder | undefined;
let zstdDecoder: import('@toondepauw/node-zstd').Decoder | undefined;

async function snappyDecompress(data: Buffer): Promise<Buffer> {
  const uncompress = (block: Buffer) =>
    snappy().uncompress(block, { asBuffer: true }) as Promise<Buffer>;
  if (!isXerialFramed(data)) return uncompress(data);
  return Buffer.concat(await Promise.all(xerialBlocks(data).map(uncompress)));
}

const CODECS: Readonly<Record<CompressionName, CompressionCodec>> = {
  gzip: { name: 'gzip', id: 1, compress: (d) => gzipAsync(d), decompress: (d) => gunzipAsync(d) },
  snappy: {
    name: 'snappy',
    id: 2,
    compress: (d) => snappy().compress(d),
    decompress: snappyDecompress,
  },
  lz4: {
    name: 'lz4',
    id: 3,
    compress: (d) => lz4().compressFrame(d),
    decompress: (d) => lz4().decompressFrame(d),
  },
  zstd: {
    name: 'zstd',
    id: 4,
    compress: (d) => (zstdEncoder ??= new (zstd().Encoder)(ZSTD_LEVEL)).encode(d),
    decompress: (d) => (zstdDecoder ??= new (zstd().Decoder)()).decode(d),
  },
};

export function compressionCodec(name: CompressionName): CompressionCodec {
  return CODECS[name];
}

/** The codec of a batch's attributes (undefined: not compressed). */
export function codecOfAttributes(attributes: number): CompressionCodec | undefined {
  const id = attributes & 0x07;
  return COMPRESSION_NAMES.map((n) => CODECS[n]).find((c) => c.id === id);
}

type KafkajsCodecType = Exclude<CompressionTypes, CompressionTypes.None | CompressionTypes.GZIP>;

const KAFKAJS_TYPES: Readonly<Record<Exclude<CompressionName, 'gzip'>, KafkajsCodecType>> = {
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/**
 * kafkajs' consumer decompresses through its global codec table; this fills it with
 * the adapters above (kafkajs' encoder hands `compress` an object with `buffer`).
 * kafkajs reads gzip itself (zlib too), which keeps it an independent reader of the
 * producer's gzip batches.
 */
export function registerKafkajsCodecs(): void {
  for (const name of ['snappy', 'lz4', 'zstd'] as const) {
    const codec = CODECS[name];
    CompressionCodecs[KAFKAJS_TYPES[name]] = () => ({
      compress: (encoder: { buffer: Buffer }) => codec.compress(encoder.buffer),
      decompress: (data: Buffer) => codec.decompress(data),
    });
  }
}

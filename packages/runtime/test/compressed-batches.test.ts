/**
 * Compressed record batches as the producer encodes them, read back by kafkajs' batch
 * decoder (its own gzip; the runtime's snappy, lz4 and zstd adapters); snappy in Kafka's
 * Java framing; and the per-sink compression setting.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  COMPRESSION_NAMES,
  codecOfAttributes,
  compressionCodec,
  registerKafkajsCodecs,
} from '../src/connectors/kafka/compression-codecs';
import { compressionBySink } from '../src/connectors/kafka/compression-setting';
import type { OutgoingRecord } from '../src/connectors/kafka/broker-client';
import {
  compressRecords,
  encodeProduceRequest,
} from '../src/connectors/kafka/wire/produce-request';
import { ConfigurationError } from '../src/util/errors';

/* eslint-disable @typescript-eslint/no-require-imports */
const KafkajsDecoder = require('kafkajs/src/protocol/decoder');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const kafkajsCrc32c: (
  buffer: Buffer,
) => number = require('kafkajs/src/protocol/recordBatch/crc32C');
/* eslint-enable @typescript-eslint/no-require-imports */

registerKafkajsCodecs();

const records: OutgoingRecord[] = Array.from({ length: 2_000 }, (_, n) => ({
  key: n % 3 === 0 ? null : `key-${n % 17}`,
  value: JSON.stringify({ n, status: n % 10 ? 'paid' : 'refunded', note: 'ü€ same words' }),
  headers: { 'stream-gen-id': `job/0/src@0.0#${n}` },
  timestamp: 1_700_000_000_000 + n * 3,
}));

/** The one batch of a one-partition Produce v3 request. */
function batchOf(frame: Buffer): Buffer {
  const d = new KafkajsDecoder(frame);
  d.readInt32(); // size
  d.readInt16(); // api key
  d.readInt16(); // version
  d.readInt32(); // correlation id
  d.readString(); // client id
  d.readInt16(); // transactional id
  d.readInt16(); // acks
  d.readInt32(); // timeout
  d.readInt32(); // topics
  d.readString();
  d.readInt32(); // partitions
  d.readInt32();
  return d.readBytes();
}

const request = (partition: Parameters<typeof encodeProduceRequest>[4][0]['partitions'][0]) =>
  batchOf(encodeProduceRequest(1, 'test', -1, 1_000, [{ topic: 't', partitions: [partition] }]));

test.each(COMPRESSION_NAMES)(
  '%s: the batch carries the codec in its attributes, is far smaller, CRC right, and kafkajs reads every record',
  async (name) => {
    const codec = compressionCodec(name);
    const plain = request({ partition: 0, records });
    const batch = request({
      partition: 0,
      records,
      compressed: await compressRecords(records, codec),
    });
    const attributes = batch.readInt16BE(21);
    expect(attributes & 0x07).toBe(codec.id);
    expect(codecOfAttributes(attributes)).toBe(codec);
    expect(batch.length * 3).toBeLessThan(plain.length);
    expect(batch.readUInt32BE(17)).toBe(kafkajsCrc32c(batch.subarray(21)) >>> 0);
    const decoded = await decodeRecordBatch(new KafkajsDecoder(batch));
    const plainDecoded = await decodeRecordBatch(new KafkajsDecoder(plain));
    expect(decoded.records).toHaveLength(records.length);
    expect(decoded.records).toEqual(plainDecoded.records);
    expect(decoded.records[1999].value.toString()).toBe(records[1999].value);
  },
);

test("snappy: reads raw blocks and Kafka's Java (xerial) framing of several blocks", async () => {
  const codec = compressionCodec('snappy');
  const data = Buffer.from(records.map((r) => r.value).join('\n'));
  const halves = [data.subarray(0, 40_000), data.subarray(40_000)];
  const blocks = await Promise.all(halves.map((h) => codec.compress(h)));
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  const framed = Buffer.concat([
    header,
    ...blocks.flatMap((b) => [Buffer.from(Uint32Array.of(b.length).buffer).reverse(), b]),
  ]);
  expect(await codec.decompress(framed)).toEqual(data);
  expect(await codec.decompress(await codec.compress(data))).toEqual(data);
  await expect(codec.decompress(framed.subarray(0, framed.length - 10))).rejects.toThrow(
    /xerial framing/,
  );
});

test('gzip: reads what node:zlib writes', async () => {
  const data = Buffer.from('the same words '.repeat(1000));
  expect(await compressionCodec('gzip').decompress(await promisify(gzip)(data))).toEqual(data);
});

describe('STREAM_GEN_KAFKA_COMPRESSION', () => {
  const sinks = ['orders', 'audit', 'alerts'];
  const parse = (value: string | undefined) =>
    Object.fromEntries(compressionBySink({ STREAM_GEN_KAFKA_COMPRESSION: value }, sinks));

  test('unset: no sink compresses; one codec: every sink; none: none', () => {
    expect(parse(undefined)).toEqual({});
    expect(parse('')).toEqual({});
    expect(parse('ZSTD')).toEqual({ orders: 'zstd', audit: 'zstd', alerts: 'zstd' });
    expect(parse('none')).toEqual({});
  });

  test('per sink, the others uncompressed', () => {
    expect(parse('orders=lz4, audit=gzip,alerts=none')).toEqual({ orders: 'lz4', audit: 'gzip' });
  });

  test('an unknown codec or sink is refused, naming the setting, the codecs and the sinks', () => {
    expect(() => parse('brotli')).toThrow(ConfigurationError);
    expect(() => parse('brotli')).toThrow(
      'STREAM_GEN_KAFKA_COMPRESSION names the codec "brotli" (in "brotli"); it takes none, gzip, snappy, lz4, zstd',
    );
    expect(() => parse('orders=lz4,payments=zstd')).toThrow(
      'STREAM_GEN_KAFKA_COMPRESSION names the sink "payments", but the job\'s Kafka sinks are orders, audit, alerts',
    );
    expect(() => parse('orders=lz4,=zstd')).toThrow(/needs a codec, or <sink>=<codec>/);
    expect(() => parse('orders=')).toThrow(/names the codec ""/);
  });
});

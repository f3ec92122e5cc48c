/**
 * The producer's own encoding of Kafka's wire format, checked against kafkajs' decoder,
 * CRC and partitioner as independent oracles.
 */
import { Partitioners } from 'kafkajs';
import { crc32c } from '../src/connectors/kafka/wire/crc32c';
import { partitionForKey } from '../src/connectors/kafka/wire/murmur2';
import { encodeProduceRequest } from '../src/connectors/kafka/wire/produce-request';
import { ByteWriter, sizeOfVarint } from '../src/connectors/kafka/wire/byte-writer';
import type { OutgoingRecord } from '../src/connectors/kafka/broker-client';

/* eslint-disable @typescript-eslint/no-require-imports */
const KafkajsDecoder = require('kafkajs/src/protocol/decoder');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const kafkajsCrc32c: (
  buffer: Buffer,
) => number = require('kafkajs/src/protocol/recordBatch/crc32C');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Deterministic bytes. */
function bytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

test('CRC-32C: the check value, and the same as kafkajs over every length up to 300', () => {
  expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  for (let length = 0; length <= 300; length++) {
    const data = bytes(length, length + 1);
    expect(crc32c(data)).toBe(kafkajsCrc32c(data) >>> 0);
  }
  const data = bytes(100, 7);
  expect(crc32c(data, 10, 90)).toBe(kafkajsCrc32c(data.subarray(10, 90)) >>> 0);
});

test('keyed records land where Kafka default partitioner (kafkajs) puts them', () => {
  const partitioner = Partitioners.DefaultPartitioner();
  for (let i = 0; i < 3000; i++) {
    const key = `key-${i}${'é€'.repeat(i % 4)}${i % 5 === 0 ? '' : 'x'.repeat(i % 7)}`;
    const partitions = 1 + (i % 19);
    const partitionMetadata = Array.from({ length: partitions }, (_, p) => ({
      partitionId: p,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    expect(partitionForKey(key, partitions)).toBe(
      partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }),
    );
  }
});

test('zig-zag varints of negative, small and large safe integers', () => {
  const values = [0, -1, 1, 63, -64, 64, 300, -300, 2 ** 31, -(2 ** 31) - 1, 2 ** 45 + 3];
  const size = values.reduce((sum, v) => sum + sizeOfVarint(v), 0);
  const w = new ByteWriter(size);
  for (const v of values) w.varint(v);
  expect(w.offset).toBe(size);
  const decoder = new KafkajsDecoder(w.buffer);
  for (const v of values) expect(Number(decoder.readVarLong())).toBe(v);
});

interface DecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: string;
  offset: string;
}

/** Reads a one-topic Produce v3 request back: header fields, then kafkajs decodes each batch. */
async function readRequest(frame: Buffer) {
  const d = new KafkajsDecoder(frame);
  const size = d.readInt32();
  const header = {
    apiKey: d.readInt16(),
    version: d.readInt16(),
    correlationId: d.readInt32(),
    clientId: d.readString(),
  };
  const transactionalId = d.readInt16();
  const acks = d.readInt16();
  const timeout = d.readInt32();
  const topics: Array<{
    topic: string;
    partitions: Array<{ partition: number; records: DecodedRecord[]; crcOk: boolean }>;
  }> = [];
  const topicCount = d.readInt32();
  for (let t = 0; t < topicCount; t++) {
    const topic = d.readString();
    const partitions = [];
    const partitionCount = d.readInt32();
    for (let p = 0; p < partitionCount; p++) {
      const partition = d.readInt32();
      const batch: Buffer = d.readBytes();
      const crcOk = batch.readUInt32BE(17) === kafkajsCrc32c(batch.subarray(21)) >>> 0;
      const decoded = await decodeRecordBatch(new KafkajsDecoder(batch));
      partitions.push({ partition, records: decoded.records as DecodedRecord[], crcOk });
    }
    topics.push({ topic, partitions });
  }
  return { size, length: frame.length, header, transactionalId, acks, timeout, topics };
}

test('a produce request: header, one record batch per partition that kafkajs decodes, CRC right', async () => {
  const base = 1_700_000_000_000;
  const records: OutgoingRecord[] = [
    {
      key: 'k1',
      value: '{"a":1}',
      headers: { 'stream-gen-id': 'job/0/src@0.0#0' },
      timestamp: base + 5,
    },
    { key: null, value: '{"ü":"€€"}', headers: {}, timestamp: base },
    {
      key: 'ключ',
      value: 'x'.repeat(300),
      headers: { a: '1', b: 'two' },
      timestamp: base + 2 ** 33,
    },
  ];
  const frame = encodeProduceRequest(42, 'client-é', -1, 30_000, [
    {
      topic: 'out',
      partitions: [
        { partition: 3, records },
        { partition: 0, records: records.slice(1, 2) },
      ],
    },
  ]);
  const read = await readRequest(frame);
  expect(read.size).toBe(read.length - 4);
  expect(read.header).toEqual({ apiKey: 0, version: 3, correlationId: 42, clientId: 'client-é' });
  expect([read.transactionalId, read.acks, read.timeout]).toEqual([-1, -1, 30_000]);
  expect(read.topics.map((t) => t.topic)).toEqual(['out']);
  const [p3, p0] = read.topics[0].partitions;
  expect([p3.partition, p3.crcOk, p0.partition, p0.crcOk]).toEqual([3, true, 0, true]);
  expect(
    p3.records.map((r) => ({
      key: r.key?.toString() ?? null,
      value: r.value?.toString(),
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString()])),
      timestamp: Number(r.timestamp),
      offset: r.offset,
    })),
  ).toEqual(records.map((r, i) => ({ ...r, offset: String(i) })));
  expect(p0.records.map((r) => r.value?.toString())).toEqual(['{"ü":"€€"}']);
});

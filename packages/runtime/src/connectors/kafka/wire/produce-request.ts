import type { OutgoingRecord } from '../broker-client';
import type { CompressionCodec } from '../compression-codecs';
import { ByteWriter, sizeOfVarint, sizeOfVarintField } from './byte-writer';
import { crc32c } from './crc32c';
import { ByteReader } from './byte-reader';
import { API_PRODUCE, requestHeaderSize, writeRequestHeader } from './request-header';

/** Produce v3: the first version with record batches (magic 2) and headers. */
export const PRODUCE_VERSION = 3;

export interface PartitionRecords {
  readonly partition: number;
  readonly records: readonly OutgoingRecord[];
}

/** The idempotent producer's fields of a batch (none: -1, -1, -1). */
export interface BatchSequence {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** A batch's records section, compressed (the codec's id goes into the attributes). */
export interface CompressedRecords {
  readonly codecId: number;
  readonly bytes: Buffer;
}

/** A partition's records as one record batch: compressed or not, sequenced or not. */
export interface PartitionBatch extends PartitionRecords {
  readonly compressed?: CompressedRecords;
  readonly sequence?: BatchSequence;
}

export interface TopicRecords {
  readonly topic: string;
  readonly partitions: readonly PartitionBatch[];
}

/** Record batch fields before the records: offset to count (Kafka's DefaultRecordBatch). */
const BATCH_OVERHEAD = 61;
/** Where the CRC'd part of a batch starts, from the batch's start (after the CRC). */
const CRC_FROM = 21;
/** Bytes per record in the size plan: key, value, body. */
const PLAN_STRIDE = 3;

/**
 * Encodes a whole Produce request (size prefix, header, body) into one buffer: sizes
 * first, then one pass of writes, each record batch's CRC taken in place.
 */
export function encodeProduceRequest(
  correlationId: number,
  clientId: string,
  acks: number,
  timeoutMs: number,
  topics: readonly TopicRecords[],
): Buffer {
  const plans = new Map<PartitionRecords, Int32Array | undefined>();
  let size = 4 + requestHeaderSize(clientId) + 2 + 2 + 4 + 4;
  for (const { topic, partitions } of topics) {
    size += 2 + Buffer.byteLength(topic) + 4;
    for (const p of partitions) {
      const plan = p.compressed ? undefined : planBatch(p.records);
      plans.set(p, plan);
      size += 4 + 4 + batchSize(p, plan);
    }
  }
  const w = new ByteWriter(size);
  w.int32(size - 4);
  writeRequestHeader(w, API_PRODUCE, PRODUCE_VERSION, correlationId, clientId);
  w.int16(-1); // no transactional id
  w.int16(acks);
  w.int32(timeoutMs);
  w.int32(topics.length);
  for (const { topic, partitions } of topics) {
    w.string(topic);
    w.int32(partitions.length);
    for (const p of partitions) {
      const plan = plans.get(p);
      w.int32(p.partition);
      w.int32(batchSize(p, plan));
      writeBatch(w, p, plan);
    }
  }
  if (w.offset !== size) throw new Error(`produce request: wrote ${w.offset} of ${size} bytes`);
  return w.buffer;
}

function planBatch(records: readonly OutgoingRecord[]): Int32Array {
  const plan = new Int32Array(records.length * PLAN_STRIDE);
  const first = minTimestamp(records);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const keyBytes = r.key === null ? -1 : Buffer.byteLength(r.key);
    const valueBytes = Buffer.byteLength(r.value);
    let body =
      1 +
      sizeOfVarint(r.timestamp - first) +
      sizeOfVarint(i) +
      sizeOfVarintField(keyBytes < 0 ? null : keyBytes) +
      sizeOfVarintField(valueBytes);
    let headerCount = 0;
    for (const name in r.headers) {
      body += sizeOfVarintField(Buffer.byteLength(name));
      body += sizeOfVarintField(Buffer.byteLength(r.headers[name]));
      headerCount++;
    }
    body += sizeOfVarint(headerCount);
    plan[i * PLAN_STRIDE] = keyBytes;
    plan[i * PLAN_STRIDE + 1] = valueBytes;
    plan[i * PLAN_STRIDE + 2] = body;
  }
  return plan;
}

function recordsSize(plan: Int32Array): number {
  let size = 0;
  for (let i = 2; i < plan.length; i += PLAN_STRIDE) size += sizeOfVarint(plan[i]) + plan[i];
  return size;
}

function batchSize(p: PartitionBatch, plan: Int32Array | undefined): number {
  return BATCH_OVERHEAD + (p.compressed ? p.compressed.bytes.length : recordsSize(plan!));
}

/** The records section of a batch of `records`, compressed with `codec`. */
export async function compressRecords(
  records: readonly OutgoingRecord[],
  codec: CompressionCodec,
): Promise<CompressedRecords> {
  const plan = planBatch(records);
  const w = new ByteWriter(recordsSize(plan));
  writeRecords(w, records, plan);
  return { codecId: codec.id, bytes: await codec.compress(w.buffer) };
}

/**
 * One record batch: the header (attributes with the codec, the producer's id, epoch
 * and sequence), the records (or their compressed section), then the CRC over both.
 */
function writeBatch(w: ByteWriter, p: PartitionBatch, plan: Int32Array | undefined): void {
  const records = p.records;
  const start = w.offset;
  const first = minTimestamp(records);
  let max = first;
  for (const r of records) if (r.timestamp > max) max = r.timestamp;
  w.int64(0); // base offset: the broker assigns offsets
  w.int32(batchSize(p, plan) - 12); // length after this field
  w.int32(-1); // partition leader epoch
  w.int8(2); // magic
  const crcAt = w.offset;
  w.uint32(0); // CRC, filled in below
  w.int16(p.compressed?.codecId ?? 0); // attributes: codec, create time, not transactional
  w.int32(records.length - 1); // last offset delta
  w.int64(first);
  w.int64(max);
  w.int64(p.sequence?.producerId ?? -1);
  w.int16(p.sequence?.producerEpoch ?? -1);
  w.int32(p.sequence?.baseSequence ?? -1);
  w.int32(records.length);
  if (p.compressed) {
    w.offset += p.compressed.bytes.copy(w.buffer, w.offset);
  } else {
    writeRecords(w, records, plan!);
  }
  w.buffer.writeUInt32BE(crc32c(w.buffer, start + CRC_FROM, w.offset), crcAt);
}

/** The records of a batch (its offset and timestamp deltas from the first record). */
function writeRecords(w: ByteWriter, records: readonly OutgoingRecord[], plan: Int32Array): void {
  const first = minTimestamp(records);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const keyBytes = plan[i * PLAN_STRIDE];
    w.varint(plan[i * PLAN_STRIDE + 2]);
    w.int8(0);
    w.varint(r.timestamp - first);
    w.varint(i);
    w.varintString(r.key, keyBytes);
    w.varintString(r.value, plan[i * PLAN_STRIDE + 1]);
    let headerCount = 0;
    for (const _ in r.headers) headerCount++;
    w.varint(headerCount);
    for (const name in r.headers) {
      const value = r.headers[name];
      w.varintString(name, Buffer.byteLength(name));
      w.varintString(value, Buffer.byteLength(value));
    }
  }
}

function minTimestamp(records: readonly OutgoingRecord[]): number {
  let min = records.length === 0 ? 0 : records[0].timestamp;
  for (const r of records) if (r.timestamp < min) min = r.timestamp;
  return min;
}

export interface PartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly baseOffset: number;
}

/** The per-partition outcomes of a Produce v3 response body (after the correlation id). */
export function decodeProduceResponse(body: ByteReader): PartitionResult[] {
  const results: PartitionResult[] = [];
  body.array((topicReader) => {
    const topic = topicReader.string() ?? '';
    topicReader.array((p) => {
      const partition = p.int32();
      const errorCode = p.int16();
      const baseOffset = p.int64();
      p.int64(); // log append time
      results.push({ topic, partition, errorCode, baseOffset });
    });
  });
  return results;
}

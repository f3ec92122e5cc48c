/**
 * The snappy framing of Kafka's Java client (xerial's SnappyOutputStream): an 8-byte
 * magic, two int32 versions, then blocks of [int32 length][raw snappy]. librdkafka and
 * kafkajs write raw snappy instead; a reader must take both.
 */
const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic, version, compatible version. */
const HEADER_BYTES = 16;

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= HEADER_BYTES && data.subarray(0, MAGIC.length).equals(MAGIC);
}

/** The raw snappy blocks of a xerial-framed buffer, in order. */
export function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let at = HEADER_BYTES;
  while (at < data.length) {
    if (at + 4 > data.length) throw new Error('snappy (xerial framing): truncated block length');
    const length = data.readInt32BE(at);
    at += 4;
    if (length < 0 || at + length > data.length) {
      throw new Error(`snappy (xerial framing): block of ${length} bytes past the end`);
    }
    blocks.push(data.subarray(at, at + length));
    at += length;
  }
  return blocks;
}

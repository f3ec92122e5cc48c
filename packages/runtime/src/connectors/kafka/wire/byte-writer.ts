/** Writes Kafka's wire types into a buffer sized up front (no growing, no copies). */
export class ByteWriter {
  readonly buffer: Buffer;
  offset = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  int8(value: number): this {
    this.buffer[this.offset++] = value & 0xff;
    return this;
  }

  int16(value: number): this {
    this.offset = this.buffer.writeInt16BE(value, this.offset);
    return this;
  }

  int32(value: number): this {
    this.offset = this.buffer.writeInt32BE(value, this.offset);
    return this;
  }

  uint32(value: number): this {
    this.offset = this.buffer.writeUInt32BE(value, this.offset);
    return this;
  }

  /** A safe integer as int64. */
  int64(value: number): this {
    const high = Math.floor(value / 0x1_0000_0000);
    this.offset = this.buffer.writeInt32BE(high, this.offset);
    this.offset = this.buffer.writeUInt32BE(value - high * 0x1_0000_0000, this.offset);
    return this;
  }

  /** int16 length, then UTF-8; null as -1. */
  string(value: string | null, byteLength = value === null ? 0 : Buffer.byteLength(value)): this {
    if (value === null) return this.int16(-1);
    this.int16(byteLength);
    this.offset += this.buffer.write(value, this.offset, byteLength, 'utf8');
    return this;
  }

  /** Zig-zag varint (or varlong) of a safe integer. */
  varint(value: number): this {
    return this.uvarint(zigZag(value));
  }

  /** varint length, then UTF-8; null as length -1. */
  varintString(value: string | null, byteLength: number): this {
    if (value === null) return this.varint(-1);
    this.varint(byteLength);
    this.offset += this.buffer.write(value, this.offset, byteLength, 'utf8');
    return this;
  }

  private uvarint(value: number): this {
    const buffer = this.buffer;
    while (value >= 0x80) {
      buffer[this.offset++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[this.offset++] = value;
    return this;
  }
}

function zigZag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Bytes of a zig-zag varint (or varlong) of a safe integer. */
export function sizeOfVarint(value: number): number {
  let unsigned = zigZag(value);
  let bytes = 1;
  while (unsigned >= 0x80) {
    unsigned = Math.floor(unsigned / 0x80);
    bytes++;
  }
  return bytes;
}

/** Bytes of a varint-length-prefixed field of `byteLength` bytes (null: -1). */
export function sizeOfVarintField(byteLength: number | null): number {
  return byteLength === null ? 1 : sizeOfVarint(byteLength) + byteLength;
}

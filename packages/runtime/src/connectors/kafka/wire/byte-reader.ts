/** Reads Kafka's wire types from a response frame. */
export class ByteReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  int8(): number {
    return this.buffer.readInt8(this.advance(1));
  }

  int16(): number {
    return this.buffer.readInt16BE(this.advance(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.advance(4));
  }

  /** An int64 as a number (exact up to 2^53). */
  int64(): number {
    const at = this.advance(8);
    return this.buffer.readInt32BE(at) * 0x1_0000_0000 + this.buffer.readUInt32BE(at + 4);
  }

  boolean(): boolean {
    return this.int8() !== 0;
  }

  string(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const at = this.advance(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  array<T>(item: (reader: ByteReader) => T): T[] {
    const length = this.int32();
    const items: T[] = [];
    for (let i = 0; i < length; i++) items.push(item(this));
    return items;
  }

  private advance(bytes: number): number {
    const at = this.offset;
    if (at + bytes > this.buffer.length) {
      throw new RangeError(
        `Kafka response ends early (needs ${at + bytes} bytes, has ${this.buffer.length})`,
      );
    }
    this.offset = at + bytes;
    return at;
  }
}

/**
 * Kafka's framing and wire types as the test proxy needs them: a byte stream split
 * into size-prefixed frames, a cursor over a frame that knows where it is (so the
 * proxy can rewrite the front of a response and copy the rest as is), and encoders
 * for the few answers the proxy writes itself. Classic and flexible (compact, tagged
 * fields) encodings both. No test-framework dependency.
 */

/** Frames above this are a protocol error, not an allocation (Kafka's default is 100 MiB). */
const MAX_FRAME_BYTES = 100 * 1024 * 1024;

/** Splits a byte stream into whole frames, each with its int32 size prefix. */
export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : this.flatten();
      const size = head.readInt32BE(0);
      if (size < 0 || size > MAX_FRAME_BYTES) throw new Error(`bad Kafka frame size ${size}`);
      if (this.buffered < 4 + size) break;
      const all = this.flatten();
      frames.push(all.subarray(0, 4 + size));
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
    }
    return frames;
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }
}

/** A read position in a frame. */
export class Cursor {
  constructor(
    readonly buffer: Buffer,
    public offset = 0,
  ) {}

  int8(): number {
    return this.buffer.readInt8(this.advance(1));
  }

  int16(): number {
    return this.buffer.readInt16BE(this.advance(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.advance(4));
  }

  skip(bytes: number): this {
    this.advance(bytes);
    return this;
  }

  /** int16 length, then UTF-8; -1 is null. */
  string(): string | null {
    return this.text(this.int16());
  }

  /** unsigned varint length + 1, then UTF-8; 0 is null. */
  compactString(): string | null {
    return this.text(this.uvarint() - 1);
  }

  /** int32 length, then the bytes; -1 is null. */
  bytes(): Buffer | null {
    return this.slice(this.int32());
  }

  /** unsigned varint length + 1, then the bytes; 0 is null. */
  compactBytes(): Buffer | null {
    return this.slice(this.uvarint() - 1);
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.buffer[this.advance(1)];
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw new Error('varint longer than 5 bytes');
  }

  /** Skips a tagged-field section (flexible versions). */
  taggedFields(): void {
    for (let n = this.uvarint(); n > 0; n--) {
      this.uvarint(); // tag
      this.skip(this.uvarint());
    }
  }

  rest(): Buffer {
    return this.buffer.subarray(this.offset);
  }

  private text(length: number): string | null {
    const bytes = this.slice(length);
    return bytes === null ? null : bytes.toString('utf8');
  }

  private slice(length: number): Buffer | null {
    if (length < 0) return null;
    const at = this.advance(length);
    return this.buffer.subarray(at, at + length);
  }

  private advance(bytes: number): number {
    const at = this.offset;
    if (at + bytes > this.buffer.length) {
      throw new RangeError(
        `Kafka frame ends early (needs ${at + bytes} bytes, has ${this.buffer.length})`,
      );
    }
    this.offset = at + bytes;
    return at;
  }
}

// ------------------------------------------------------------------ encoders

export const int16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};

export const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

export const int64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};

export function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

export function string(s: string | null): Buffer {
  if (s === null) return int16(-1);
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([int16(b.length), b]);
}

export function compactString(s: string | null): Buffer {
  if (s === null) return uvarint(0);
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([uvarint(b.length + 1), b]);
}

export function bytes(b: Buffer): Buffer {
  return Buffer.concat([int32(b.length), b]);
}

export function compactBytes(b: Buffer): Buffer {
  return Buffer.concat([uvarint(b.length + 1), b]);
}

/** An empty tagged-field section. */
export const NO_TAGGED_FIELDS = uvarint(0);

/** A whole frame: its int32 size, then the parts. */
export function frame(...parts: Buffer[]): Buffer {
  const payload = Buffer.concat(parts);
  return Buffer.concat([int32(payload.length), payload]);
}

// ------------------------------------------------------------------- headers

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

/** The fixed front of every request header (after the size): key, version, correlation id. */
export function requestHeader(frame: Buffer): RequestHeader {
  if (frame.length < 12) throw new Error(`Kafka request of ${frame.length} bytes has no header`);
  return {
    apiKey: frame.readInt16BE(4),
    apiVersion: frame.readInt16BE(6),
    correlationId: frame.readInt32BE(8),
  };
}

/**
 * A cursor at the request body: past the client id (header v1) and, for a flexible
 * request (header v2), its tagged fields.
 */
export function requestBody(frame: Buffer, flexible: boolean): Cursor {
  const c = new Cursor(frame, 12);
  c.string(); // client id
  if (flexible) c.taggedFields();
  return c;
}

/** A response frame: correlation id, for a flexible response (header v1) tagged fields, then the body. */
export function responseFrame(correlationId: number, flexible: boolean, ...body: Buffer[]): Buffer {
  return frame(int32(correlationId), ...(flexible ? [NO_TAGGED_FIELDS] : []), ...body);
}

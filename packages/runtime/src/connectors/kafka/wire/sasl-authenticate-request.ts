import type { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { requestHeaderSize, writeRequestHeader } from './request-header';

export const API_SASL_AUTHENTICATE = 36;
/** v0 and v1 as Kafka 1.0 and 2.2 define them; v2 is the same in the flexible encoding (2.5+). */
export const SASL_AUTHENTICATE_VERSIONS = { min: 0, max: 2 } as const;

/** SaslAuthenticate carrying one SASL message (`authBytes`) of the mechanism. */
export function encodeSaslAuthenticateRequest(
  correlationId: number,
  clientId: string,
  version: number,
  authBytes: Buffer,
): Buffer {
  const flexible = version >= 2;
  const length = flexible ? uvarintSize(authBytes.length + 1) : 4;
  // flexible: request header v2 (header v1 and no tagged fields), then no tagged fields
  const tags = flexible ? 2 : 0;
  const size = 4 + requestHeaderSize(clientId) + length + authBytes.length + tags;
  const w = new ByteWriter(size);
  w.int32(size - 4);
  writeRequestHeader(w, API_SASL_AUTHENTICATE, version, correlationId, clientId);
  if (flexible) w.int8(0);
  if (flexible) writeUvarint(w, authBytes.length + 1);
  else w.int32(authBytes.length);
  authBytes.copy(w.buffer, w.offset);
  w.offset += authBytes.length;
  if (flexible) w.int8(0);
  return w.buffer;
}

export interface SaslAuthenticateResponse {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** The server's SASL message. */
  readonly authBytes: Buffer;
}

/** The response of `version` (its session lifetime is not used: connections do not re-authenticate). */
export function decodeSaslAuthenticateResponse(
  body: ByteReader,
  version: number,
): SaslAuthenticateResponse {
  if (version < 2) {
    const errorCode = body.int16();
    const errorMessage = body.string();
    const authBytes = readBytes(body, body.int32());
    return { errorCode, errorMessage, authBytes };
  }
  skipTaggedFields(body); // response header v1
  const errorCode = body.int16();
  const messageLength = readUvarint(body) - 1;
  const errorMessage = messageLength < 0 ? null : readBytes(body, messageLength).toString('utf8');
  const authBytes = readBytes(body, Math.max(0, readUvarint(body) - 1));
  return { errorCode, errorMessage, authBytes };
}

/** SASL messages are a few hundred bytes: read byte by byte, through the reader's checks. */
function readBytes(body: ByteReader, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(Math.max(0, length));
  for (let i = 0; i < bytes.length; i++) bytes[i] = body.int8() & 0xff;
  return bytes;
}

function readUvarint(body: ByteReader): number {
  let value = 0;
  for (let shift = 1; ; shift *= 0x80) {
    const byte = body.int8() & 0xff;
    value += (byte & 0x7f) * shift;
    if (byte < 0x80) return value;
    if (shift > 0x80 ** 4) throw new RangeError('Kafka response: varint longer than 5 bytes');
  }
}

function skipTaggedFields(body: ByteReader): void {
  for (let fields = readUvarint(body); fields > 0; fields--) {
    readUvarint(body); // tag
    readBytes(body, readUvarint(body));
  }
}

function writeUvarint(w: ByteWriter, value: number): void {
  while (value >= 0x80) {
    w.int8((value & 0x7f) | 0x80);
    value = Math.floor(value / 0x80);
  }
  w.int8(value);
}

function uvarintSize(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}

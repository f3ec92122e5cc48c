import type { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { requestHeaderSize, writeRequestHeader } from './request-header';

export const API_SASL_HANDSHAKE = 17;
/** v1: the SASL messages that follow go in SaslAuthenticate requests (Kafka 1.0+). */
export const SASL_HANDSHAKE_VERSION = 1;

/** SaslHandshake v1: the mechanism the client means to use. */
export function encodeSaslHandshakeRequest(
  correlationId: number,
  clientId: string,
  mechanism: string,
): Buffer {
  const size = 4 + requestHeaderSize(clientId) + 2 + Buffer.byteLength(mechanism);
  const w = new ByteWriter(size);
  w.int32(size - 4);
  writeRequestHeader(w, API_SASL_HANDSHAKE, SASL_HANDSHAKE_VERSION, correlationId, clientId);
  w.string(mechanism);
  return w.buffer;
}

export interface SaslHandshakeResponse {
  readonly errorCode: number;
  /** The mechanisms the broker enables. */
  readonly mechanisms: readonly string[];
}

export function decodeSaslHandshakeResponse(body: ByteReader): SaslHandshakeResponse {
  const errorCode = body.int16();
  const mechanisms = body.array((r) => r.string() ?? '');
  return { errorCode, mechanisms };
}

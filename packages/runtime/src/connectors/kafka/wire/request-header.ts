import type { ByteWriter } from './byte-writer';

export const API_PRODUCE = 0;
export const API_METADATA = 3;
export const API_VERSIONS = 18;

/** Request header v1: api key, version, correlation id, client id. */
export function requestHeaderSize(clientId: string): number {
  return 2 + 2 + 4 + 2 + Buffer.byteLength(clientId);
}

export function writeRequestHeader(
  w: ByteWriter,
  apiKey: number,
  version: number,
  correlationId: number,
  clientId: string,
): void {
  w.int16(apiKey).int16(version).int32(correlationId).string(clientId);
}
